// tfe/nn/player.hpp: players whose member functions provide private inputs and receive outputs, the
// C++ form of TF Encrypted's @tfe.local_computation methods (PredictionClient.provide_input /
// receive_output, ModelOwner.provide_weights, DataOwner.provide_data):
//
//   struct prediction_client : tfe::keras::player<prediction_client> {
//     prediction_client() : player("prediction-client") {}
//     xt::xarray<double> provide_input() const { return images; }          // runs at this player only
//     void receive_output(const xt::xarray<double>& logits) { ... }        // runs at this player only
//     xt::xarray<double> images;
//   };
//
//   // in the program every player runs:
//   auto x = client.private_input(s, &prediction_client::provide_input);   // private tensor
//   auto logits = model.predict(x);
//   client.private_output(s, &prediction_client::receive_output, logits);
//
// private_input(s, fn, args...) is s.define_private_input(player_name(), [&] { return (obj.*fn)(args...); })
// — the function runs at the named player only, and a function returning a std::pair/std::tuple of
// arrays gives a tuple of private tensors (features and labels). private_output reveals to the named
// player only, where the function receives the decoded values (a tensor, or a std::vector of them).
// The free functions keras::private_input(s, player_name, fn) / private_output(...) do the same for a
// plain callable.
#pragma once

#include "tfe/session.hpp"

#include <functional>
#include <string>
#include <utility>

namespace tfe::keras {

template <class Derived>
class player {
 public:
  explicit player(std::string name) : m_name(std::move(name)) {}

  const std::string& player_name() const { return m_name; }

  /// Whether `s` is this player's own session (local computations happen there only).
  template <class P>
  bool is_local(const session<P>& s) const {
    return s.name() == m_name;
  }

  /// A private input provided by member function `fn` (with `args`), run at this player only.
  template <class P, class Fn, class... Args>
  auto private_input(session<P>& s, Fn fn, Args&&... args) {
    return s.define_private_input(m_name, [&] { return std::invoke(fn, self(), std::forward<Args>(args)...); });
  }

  /// Reveals `x` (a private tensor or a std::vector of them) to this player only, where member
  /// function `fn` receives the decoded values.
  template <class P, class Fn>
  void private_output(session<P>& s, Fn fn, const private_tensor<P>& x) {
    s.define_output(
        m_name, [&](const xt::xarray<double>& v) { std::invoke(fn, self(), v); }, x);
  }
  template <class P, class Fn>
  void private_output(session<P>& s, Fn fn, const std::vector<private_tensor<P>>& xs) {
    s.define_output(
        m_name, [&](const std::vector<xt::xarray<double>>& v) { std::invoke(fn, self(), v); }, xs);
  }

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
  std::string m_name;
};

/// fn() runs at `player_name` only; its result is shared (see session::define_private_input).
template <class P, class F>
auto private_input(session<P>& s, const std::string& player_name, F&& fn) {
  return s.define_private_input(player_name, std::forward<F>(fn));
}

/// x is revealed to `player_name` only, where fn(values) runs.
template <class P, class F, class X>
void private_output(session<P>& s, const std::string& player_name, F&& fn, const X& x) {
  s.define_output(player_name, std::forward<F>(fn), x);
}

}  // namespace tfe::keras
