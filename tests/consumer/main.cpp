#include <iostream>
#include <tfe/tfe.hpp>
int main() {
  auto results = tfe::run_local<tfe::plain<tfe::ring64>>({"server0", "alice", "bob"}, [](auto& s) -> double {
    auto a = s.define_private_input("alice", [] { return xt::xarray<double>{1.5, -2.0}; });
    auto b = s.define_private_input("bob", [] { return xt::xarray<double>{0.25, 4.0}; });
    auto c = a * b + a;
    auto out = s.reveal_to("alice", c);  // std::optional<xt::xarray<double>>, present at alice only
    return out ? (*out)(1) : 0.0;
  });
  // results is std::vector<double>, one per player in order
  std::cout << "alice got " << results[1] << "\n";
  return results[1] == -10.0 ? 0 : 1;
}
