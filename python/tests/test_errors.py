"""The error mapping: C++ errors arrive as tfe's Python classes with the C++ message; nothing crashes."""

import os
import threading
import unittest

import numpy as np

import tfe

MODELS = os.path.join(os.path.dirname(__file__), "..", "..", "models", "onnx")
MLP = os.path.join(MODELS, "fashion_mnist_mlp.onnx")
X = np.zeros((2, 1, 28, 28))


def run_aby3(program, others=("alice",)):
    return tfe.run(tfe.players("aby3", list(others)), program, protocol="aby3")


class ErrorMapping(unittest.TestCase):
    def test_hierarchy(self):
        self.assertTrue(issubclass(tfe.ShapeError, ValueError))
        self.assertTrue(issubclass(tfe.ShapeError, tfe.Error))
        self.assertTrue(issubclass(tfe.Error, RuntimeError))
        self.assertTrue(issubclass(tfe.ChannelError, ConnectionError))
        self.assertTrue(issubclass(tfe.FileError, OSError))
        for cls in (tfe.ProtocolError, tfe.PlayerError, tfe.ConfigError, tfe.EncodingError):
            self.assertTrue(issubclass(cls, tfe.Error))
        self.assertFalse(issubclass(tfe.ProtocolError, ValueError))

    def test_bad_shape_in_a_program(self):
        def program(s):
            a = s.define_private_input("alice", lambda: np.ones((2, 3)))
            return a @ a

        with self.assertRaises(tfe.ShapeError) as cm:
            run_aby3(program)
        e = cm.exception
        self.assertIsInstance(e, tfe.PlayerError)
        self.assertIsInstance(e, ValueError)
        self.assertIn(e.player, tfe.players("aby3", ["alice"]))
        self.assertIn("matmul: shapes (2, 3) and (2, 3) are not aligned", str(e))
        self.assertIsInstance(e.__cause__, tfe.ShapeError)
        self.assertNotIsInstance(e.__cause__, tfe.PlayerError)

    def test_bad_broadcast_names_both_shapes(self):
        def program(s):
            a = s.define_private_input("alice", lambda: np.ones((2, 3)))
            return a + np.ones((4,))

        with self.assertRaisesRegex(tfe.ShapeError, r"add: shapes \(2, 3\) and \(4,\) cannot be broadcast together"):
            run_aby3(program)

    def test_unknown_player(self):
        def program(s):
            s.define_private_input("mallory", lambda: np.ones(2))

        with self.assertRaises(tfe.ProtocolError) as cm:
            run_aby3(program)
        self.assertIsInstance(cm.exception, tfe.PlayerError)
        self.assertIn("unknown player 'mallory' (players are: server0, server1, server2, alice)", str(cm.exception))

    def test_too_few_players(self):
        with self.assertRaisesRegex(tfe.ConfigError, "needs at least 3 players"):
            tfe.run(["server0", "alice"], lambda s: None, protocol="aby3")

    def test_unknown_protocol(self):
        with self.assertRaisesRegex(tfe.ConfigError, "not available to tfe.run"):
            tfe.run(["a"], lambda s: None, protocol="securenn")
        with self.assertRaisesRegex(tfe.ConfigError, "unknown protocol 'nope'"):
            tfe.predict(MLP, X, protocol="nope")

    def test_value_out_of_the_fixed_point_range(self):
        def program(s):
            s.define_private_input("alice", lambda: np.array([1.0, np.inf]))

        with self.assertRaises(tfe.EncodingError) as cm:
            run_aby3(program)
        self.assertEqual(cm.exception.player, "alice")

    def test_the_programs_own_exception_propagates(self):
        def program(s):
            if s.player == "alice":
                raise KeyError("alice's own bug")
            s.define_private_input("alice", lambda: np.ones(2))  # the others wait for alice in vain

        with self.assertRaises(KeyError) as cm:
            run_aby3(program)
        self.assertEqual(cm.exception.player, "alice")

    def test_python_errors_in_ops(self):
        def program(s):
            a = s.define_private_input("alice", lambda: np.ones(2))
            return a + "text"

        with self.assertRaisesRegex(TypeError, "operand"):
            run_aby3(program)

        def provider_returns_junk(s):
            s.define_private_input("alice", lambda: {"not": "an array"})

        with self.assertRaisesRegex(TypeError, "define_private_input"):
            run_aby3(provider_returns_junk)

    def test_tensors_of_two_protocols_do_not_mix(self):
        kept = {}

        def program(s):
            kept[s.protocol] = s.define_private_input("alice", lambda: np.ones(2))
            if s.protocol == "aby3":
                return kept["aby3"] + kept["plain"]

        tfe.run(tfe.players("plain", ["alice"]), program, protocol="plain")
        with self.assertRaisesRegex(TypeError, "unsupported operand type.*PrivateTensor_aby3.*PrivateTensor_plain"):
            run_aby3(program)

    def test_another_players_tensor(self):
        shared, ready, done = {}, threading.Event(), threading.Event()

        def program(s):
            if s.player == "alice":
                shared["x"] = s.define_private_input("alice", lambda: np.ones(2))
                ready.set()
                done.wait(10)  # alice's session is still running when bob uses her tensor
            elif s.player == "bob":
                s.define_private_input("alice", lambda: np.ones(2))
                ready.wait(10)
                try:
                    return shared["x"] * 2  # alice's share, in bob's program
                finally:
                    done.set()
            else:
                s.define_private_input("alice", lambda: np.ones(2))

        with self.assertRaises(tfe.ProtocolError) as cm:
            run_aby3(program, others=("alice", "bob"))
        self.assertEqual(cm.exception.player, "bob")
        self.assertIn("a tensor or session of player 'alice' was used by another player's program", str(cm.exception))

    def test_predict_bad_input_shape(self):
        with self.assertRaises(tfe.ShapeError) as cm:
            tfe.predict(MLP, np.zeros((2, 3, 8, 8)))
        self.assertIsInstance(cm.exception, tfe.PlayerError)
        self.assertEqual(cm.exception.player, "client")
        self.assertIn("input 'input' has shape (2, 3, 8, 8) but the graph expects (?, 1, 28, 28)", str(cm.exception))

    def test_predict_unsupported_onnx_op(self):
        with open(MLP, "rb") as f:
            model = f.read()
        self.assertIn(b"Relu", model)
        with self.assertRaises(tfe.ConfigError) as cm:
            tfe.predict(model.replace(b"Relu", b"Relq"), X)  # same length: still a valid protobuf
        self.assertIsInstance(cm.exception, tfe.PlayerError)
        self.assertEqual(cm.exception.player, "model-owner")
        self.assertIn("op type 'Relq' is not supported", str(cm.exception))

    def test_predict_malformed_model(self):
        with self.assertRaisesRegex(tfe.FileError, "model bytes: not a valid ONNX model"):
            tfe.predict(b"certainly not protobuf" * 10, X)
        with self.assertRaisesRegex(tfe.FileError, "no_such_model.onnx"):
            tfe.predict("no_such_model.onnx", X)

    def test_hosts_without_player(self):
        with self.assertRaisesRegex(tfe.ConfigError, "hosts and player go together"):
            tfe.predict(MLP, X, hosts="hosts.json")


if __name__ == "__main__":
    unittest.main()
