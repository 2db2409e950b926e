"""tfe.stats: the statistics of include/tfe/stats/ from Python, against numpy, under plain, pond and aby3."""

import unittest

import numpy as np

import tfe

RNG = np.random.default_rng(20261205)
# Multiples of 1/64 (exact in fixed point), negatives and ties.
TABLE = np.round(RNG.normal(0, 2, size=(41, 3)) * 64) / 64
TABLE[5, 0] = TABLE[6, 0]


def run(program, protocol):
    players = tfe.players(protocol, ["alice", "bob", "analyst"])
    return dict(zip(players, tfe.run(players, program, protocol=protocol)))


class Stats(unittest.TestCase):
    def check(self, protocol):
        def program(s):
            a = s.define_private_input("alice", lambda: TABLE[:20])
            b = s.define_private_input("bob", lambda: TABLE[20:])
            x = tfe.concat([a, b])
            lo, hi = tfe.stats.min_max(x)
            out = {name: s.reveal_to("analyst", t) for name, t in [
                ("mean", tfe.stats.mean(x)), ("variance", tfe.stats.variance(x)), ("std", tfe.stats.std(x)),
                ("min", lo), ("max", hi), ("correlation", tfe.stats.correlation(x)),
                ("covariance", tfe.stats.covariance(x)), ("sorted", tfe.stats.sort(x)),
                ("quartiles", tfe.stats.quantiles(x[:, 0], [0.25, 0.5, 0.75])),
                ("median", tfe.stats.median(x[:, 1]))]}
            out["describe"] = tfe.stats.describe(x, "analyst", names=["a", "b", "c"], edges=[[-8, -2, 0, 2, 8]] * 3)
            return out

        results = run(program, protocol)
        got = results["analyst"]
        for p, r in results.items():
            if p != "analyst":
                self.assertIsNone(r["describe"])  # only the analyst receives the summary
                self.assertIsNone(r["mean"])
        np.testing.assert_allclose(got["mean"], TABLE.mean(0), atol=1e-3)
        np.testing.assert_allclose(got["variance"], TABLE.var(0, ddof=1), rtol=1e-2, atol=1e-2)
        np.testing.assert_allclose(got["std"], TABLE.std(0, ddof=1), rtol=1e-2, atol=1e-2)
        np.testing.assert_array_equal(got["min"], TABLE.min(0))
        np.testing.assert_array_equal(got["max"], TABLE.max(0))
        np.testing.assert_allclose(got["correlation"], np.corrcoef(TABLE.T), atol=2e-2)
        np.testing.assert_allclose(got["covariance"], np.cov(TABLE.T), rtol=2e-2, atol=2e-2)
        np.testing.assert_array_equal(got["sorted"][:, 0], np.sort(TABLE[:, 0]))  # keys exact
        # the payload travels with its key: every sorted row is a row of the table
        self.assertEqual(sorted(map(tuple, got["sorted"])), sorted(map(tuple, TABLE)))
        np.testing.assert_allclose(got["quartiles"], np.quantile(TABLE[:, 0], [0.25, 0.5, 0.75]), atol=1e-4)
        np.testing.assert_allclose(got["median"], [np.median(TABLE[:, 1])], atol=1e-4)
        d = got["describe"]
        self.assertEqual(d["count"], 41)
        self.assertEqual(d["names"], ["a", "b", "c"])
        np.testing.assert_allclose(d["mean"], TABLE.mean(0), atol=1e-3)
        np.testing.assert_array_equal(d["max"], TABLE.max(0))
        hist = np.array([np.histogram(TABLE[:, c], bins=[-8, -2, 0, 2, 8])[0] for c in range(3)])
        np.testing.assert_array_equal(d["histogram"], hist)

    def test_plain(self):
        self.check("plain")

    def test_pond(self):
        self.check("pond")

    def test_aby3(self):
        self.check("aby3")

    def test_linear_regression(self):
        x = RNG.normal(size=(200, 3))
        x = (x - x.mean(0)) / x.std(0)
        w = np.array([0.5, -1.0, 0.25])
        y = x @ w + 0.3 + RNG.normal(0, 0.05, size=200)

        def program(s):
            X = s.define_private_input("alice", lambda: x)
            Y = s.define_private_input("bob", lambda: y)
            return s.reveal_to("analyst", tfe.stats.linear_regression(X, Y))

        ref = np.linalg.lstsq(np.hstack([x, np.ones((200, 1))]), y, rcond=None)[0]
        got = run(program, "aby3")["analyst"]
        np.testing.assert_allclose(got.ravel(), ref, atol=1e-2)

    def test_laplace_noise_is_added_inside(self):
        x = np.zeros(400)

        def program(s):
            X = s.define_private_input("alice", lambda: x)
            return s.reveal_to("analyst", tfe.stats.add_laplace(X, epsilon=1.0, delta=1e-9, sensitivity=1.0))

        noisy = run(program, "aby3")["analyst"]
        # Laplace(b = sensitivity / epsilon = 1): E|N| = 1 (400 samples: standard error 0.05)
        self.assertGreater(np.mean(np.abs(noisy)), 0.7)
        self.assertLess(np.mean(np.abs(noisy)), 1.3)
        self.assertGreater(len(np.unique(noisy)), 100)
        with self.assertRaisesRegex(tfe.ConfigError, "epsilon must be positive"):
            run(lambda s: tfe.stats.add_laplace(s.define_private_input("alice", lambda: x), -1.0, 1e-9, 1.0), "plain")

    def test_gaussian_noise_is_added_inside(self):
        x = np.zeros(300)

        def program(s):
            X = s.define_private_input("alice", lambda: x)
            return s.reveal_to("analyst", tfe.stats.add_gaussian(X, epsilon=1.0, delta=1e-9, sensitivity=1.0))

        noisy = run(program, "aby3")["analyst"]
        # docs/privacy.md: standard deviation 5.61 at (1, 1e-9, 1); 300 samples: standard error ~0.23
        self.assertGreater(np.std(noisy), 4.5)
        self.assertLess(np.std(noisy), 6.8)
        self.assertLess(abs(np.mean(noisy)), 1.5)
        self.assertGreater(len(np.unique(noisy)), 200)

    def test_group_by_key(self):
        keys = RNG.integers(-3, 40, size=120).astype(float)
        keys[:60] = keys[:60] % 3  # three large groups, many small ones
        vals = np.round(RNG.normal(0, 5, size=(120, 2)) * 8) / 8

        def program(s):
            t = s.define_private_input("alice", lambda: np.column_stack([keys, vals]))
            table = tfe.stats.group_by_key(t[:, 1:], t[:, 0], min_count=4)
            return s.reveal_to("analyst", table)

        for protocol in ("aby3", "pond"):
            self.check_groups(run(program, protocol)["analyst"], keys, vals)

    def check_groups(self, table, keys, vals):
        self.assertEqual(table.shape, (120, 8))
        g = tfe.stats.read_groups(table, 2)
        uniq, counts = np.unique(keys, return_counts=True)
        kept = uniq[counts >= 4]
        self.assertGreater(len(uniq), len(kept))  # some groups are suppressed
        np.testing.assert_array_equal(g["key"], kept)
        for i, key in enumerate(kept):
            rows = vals[keys == key]
            self.assertEqual(g["count"][i], len(rows))
            np.testing.assert_array_equal(g["sum"][i], rows.sum(0))
            np.testing.assert_array_equal(g["min"][i], rows.min(0))
            np.testing.assert_array_equal(g["max"][i], rows.max(0))
            np.testing.assert_allclose(g["mean"][i], rows.mean(0))

    def test_bad_input_is_named(self):
        def program(s):
            x = s.define_private_input("alice", lambda: np.zeros(5))
            return tfe.stats.correlation(x)

        with self.assertRaisesRegex(tfe.ShapeError, "correlation"):
            run(program, "plain")
        with self.assertRaises(TypeError):
            tfe.stats.mean(np.zeros(3))


if __name__ == "__main__":
    unittest.main()
