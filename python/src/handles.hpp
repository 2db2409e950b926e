// python/src/handles.hpp: the C++ objects behind tfe.Session, tfe.PrivateTensor and tfe.PublicTensor.
//
// A session<P> lives on its player's thread for the duration of one tfe.run; Python may keep a tensor
// or the session object longer (in a global, a closure, a result). Every Python object therefore
// holds a shared handle of its session, which the run marks as ended when the player's program
// returns, and every use checks it: using an ended session, or another player's session from this
// player's thread, is a tfe.ProtocolError instead of a dangling pointer or a data race.
#pragma once

#include "common.hpp"

#include "tfe/session.hpp"
#include "tfe/tensor.hpp"

#include <memory>
#include <string>
#include <thread>

namespace tfe::python {

/// tfe.Session: what every protocol's session handle has.
struct session_base {
  session_base(std::string player, std::string protocol)
      : m_player(std::move(player)), m_protocol(std::move(protocol)) {}
  virtual ~session_base() = default;

  const std::string& player() const { return m_player; }
  const std::string& protocol() const { return m_protocol; }
  /// The program of this player returned: its session is gone.
  void end() { m_alive = false; }
  /// protocol_error unless the session is running and this is its player's thread.
  void check() const {
    TFE_ENFORCE(m_alive, protocol_error, "the session of player '", m_player,
                "' has ended (its program returned): its tensors cannot be used any more");
    TFE_ENFORCE(std::this_thread::get_id() == m_thread, protocol_error, "a tensor or session of player '", m_player,
                "' was used by another player's program; every player computes with its own session's tensors");
  }

 private:
  std::string m_player, m_protocol;
  bool m_alive = true;
  std::thread::id m_thread = std::this_thread::get_id();
};

template <class P>
class py_session : public session_base, public std::enable_shared_from_this<py_session<P>> {
 public:
  py_session(session<P>& s, std::string protocol) : session_base(s.name(), std::move(protocol)), m_s(&s) {}
  /// The session, after check().
  session<P>& get() const {
    check();
    return *m_s;
  }

 private:
  session<P>* m_s;
};

/// tfe.PrivateTensor and tfe.PublicTensor: the bases of every protocol's tensor classes.
struct private_base {
  virtual ~private_base() = default;
};
struct public_base {
  virtual ~public_base() = default;
};

/// A tensor (V: private_tensor<P> or public_tensor<P>) with the handle of its session.
template <class P, class V, class Base>
struct py_tensor : Base {
  py_tensor(std::shared_ptr<py_session<P>> h, V t) : handle(std::move(h)), value(std::move(t)) {}
  std::shared_ptr<py_session<P>> handle;
  V value;
  /// The tensor, after the session check.
  const V& get() const {
    handle->check();
    return value;
  }
};
template <class P>
using py_private = py_tensor<P, private_tensor<P>, private_base>;
template <class P>
using py_public = py_tensor<P, public_tensor<P>, public_base>;

}  // namespace tfe::python
