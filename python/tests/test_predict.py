"""tfe.predict: ONNX and tfe model file inference over programs/graph_runner.hpp, numpy in and out, against
PyTorch's outputs."""

import os
import unittest

import numpy as np

import tfe

MODELS = os.path.join(os.path.dirname(__file__), "..", "..", "models", "onnx")


def model(name):
    return os.path.join(MODELS, name)


class Predict(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        images, cls.labels = tfe.load_fashion_mnist("test", 100)
        cls.x = images.transpose(0, 3, 1, 2)  # NHWC -> NCHW, as the PyTorch-exported graph expects
        cls.torch = np.load(model("fashion_mnist_mlp_torch_logits.npy"))[:100]

    def test_fashion_mnist(self):
        self.assertEqual(self.x.shape, (100, 1, 28, 28))
        self.assertTrue(np.array_equal(self.labels, np.load(model("fashion_mnist_test_labels_1000.npy"))[:100]))
        logits, stats = tfe.predict(model("fashion_mnist_mlp.onnx"), self.x, protocol="aby3")
        self.assertEqual(logits.shape, (100, 10))
        self.assertEqual(logits.dtype, np.float64)
        self.assertLess(np.max(np.abs(logits - self.torch)), 0.05)
        self.assertGreaterEqual(np.sum(logits.argmax(1) == self.torch.argmax(1)), 99)
        self.assertEqual(sorted(stats), sorted(["server0", "server1", "server2", "model-owner", "client"]))
        for player in ("server0", "server1", "server2"):
            st = stats[player]
            self.assertGreater(st["seconds"], 0)
            self.assertGreater(st["bytes_sent"], 0)
            self.assertGreater(st["bytes_received"], 0)
            self.assertGreater(st["rounds"], 0)
            self.assertIn("Gemm", st["by_tag"])  # the graph runner tags each node by its op type
        self.assertEqual(stats["client"]["bytes_received"] > 0, True)  # the client receives the logits

    def test_tfe_model_file(self):
        # The same CNN as a tfe model file (Keras-like Sequential, NHWC input): a path or its bytes.
        path = os.path.join(MODELS, "..", "fashion_mnist_cnn.npz")
        nhwc = self.x.transpose(0, 2, 3, 1)[:20]
        torch = np.load(model("fashion_mnist_cnn_torch_logits.npy"))[:20]
        logits, stats = tfe.predict(path, nhwc, protocol="pond")
        self.assertEqual(logits.shape, (20, 10))
        self.assertLess(np.max(np.abs(logits - torch)), 0.05)
        self.assertIn("Conv", stats["server0"]["by_tag"])
        with open(path, "rb") as f:
            from_bytes, _ = tfe.predict(f.read(), nhwc[:4], protocol="plain")
        self.assertLess(np.max(np.abs(from_bytes - torch[:4])), 0.05)
        with self.assertRaisesRegex(ValueError, r"but the graph expects \(\?, 28, 28, 1\)"):
            tfe.predict(path, self.x[:2], protocol="plain")  # NCHW into an NHWC model

    def test_plan_predicts_the_bytes_and_rounds_of_predict(self):
        plans = tfe.plan(model("fashion_mnist_mlp.onnx"), examples=20, batch=10, protocols=["aby3", "pond"],
                         networks=["wan"])
        self.assertEqual([p["protocol"] for p in plans], ["aby3", "pond"])
        for p in plans:
            _, stats = tfe.predict(model("fashion_mnist_mlp.onnx"), self.x[:20], protocol=p["protocol"], batch=10)
            self.assertEqual(sorted(p["players"]), sorted(stats))
            for player, planned in p["players"].items():
                for key in ("bytes_sent", "bytes_received", "messages_sent", "messages_received", "rounds"):
                    self.assertEqual(planned[key], stats[player][key], (p["protocol"], player, key))
                self.assertGreater(planned["peak_bytes"], 0, (p["protocol"], player))  # predicted peak memory
            self.assertGreater(p["seconds"]["wan"], 0)
            sent = [o["bytes_sent"] for o in p["ops"]]
            self.assertEqual(sent, sorted(sent, reverse=True))  # the most expensive ops first
        with self.assertRaisesRegex(tfe.ConfigError, "no cost model for protocol 'plain'"):
            tfe.plan(model("fashion_mnist_mlp.onnx"), protocols=["plain"])

    def test_batches_give_the_same_predictions(self):
        x = self.x[:40].astype(np.float32)  # float32 in, float64 out
        whole, _ = tfe.predict(model("fashion_mnist_mlp.onnx"), x, protocol="pond")
        batched, stats = tfe.predict(model("fashion_mnist_mlp.onnx"), x, protocol="pond", batch=16)
        self.assertEqual(batched.shape, (40, 10))
        self.assertLess(np.max(np.abs(whole - batched)), 0.01)
        self.assertLess(np.max(np.abs(batched - self.torch[:40])), 0.05)
        self.assertIn("crypto-producer", stats)

    def test_model_bytes_ring128_and_a_cnn(self):
        with open(model("residual_cnn.onnx"), "rb") as f:
            data = f.read()
        x, y = np.load(model("residual_cnn.input.npy")), np.load(model("residual_cnn.output.npy"))
        for protocol, ring in (("aby3", 128), ("plain", 64)):
            with self.subTest(protocol=protocol, ring=ring):
                out, stats = tfe.predict(data, [x], protocol=protocol, ring=ring)
                self.assertEqual(out.shape, y.shape)
                self.assertLess(np.max(np.abs(out - y)), 0.01)

    def test_several_outputs_come_as_a_list(self):
        # A graph with one output gives one array; the list form of x is the same as the array.
        a, _ = tfe.predict(model("conv_transpose.onnx"), [np.load(model("conv_transpose.input.npy"))],
                           protocol="plain")
        self.assertIsInstance(a, np.ndarray)
        self.assertEqual(a.shape, np.load(model("conv_transpose.output.npy")).shape)


if __name__ == "__main__":
    unittest.main()
