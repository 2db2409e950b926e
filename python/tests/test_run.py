"""tfe.run and the Session: the privacy policy (who sees what), results, statistics, threads and the GIL."""

import threading
import unittest

import numpy as np

import tfe

A = np.array([[1.5, -2.0, 0.25], [3.0, 0.5, -1.0]])
B = np.array([[0.5, 1.0], [-1.0, 2.0], [0.25, -0.75]])


class RunAndSession(unittest.TestCase):
    def test_players_and_results_in_order(self):
        players = tfe.players("aby3", ["alice", "bob"])
        self.assertEqual(players, ["server0", "server1", "server2", "alice", "bob"])
        self.assertEqual(tfe.players("pond"), ["server0", "server1", "crypto-producer"])
        out = tfe.run(players, lambda s: (s.player, s.id, s.protocol, s.players), protocol="aby3")
        self.assertEqual(out, [(p, i, "aby3", players) for i, p in enumerate(players)])

    def test_only_the_receiver_sees_outputs(self):
        seen = {}

        def program(s):
            a = s.define_private_input("alice", lambda: A)
            b = s.define_private_input("bob", lambda: B)
            y = a @ b
            s.define_output("bob", lambda v: seen.setdefault(s.player, v), y)
            return s.reveal_to("alice", y)

        for protocol in tfe.SESSION_PROTOCOLS:
            with self.subTest(protocol=protocol):
                seen.clear()
                players = tfe.players(protocol, ["alice", "bob"])
                out = dict(zip(players, tfe.run(players, program, protocol=protocol)))
                self.assertEqual(list(seen), ["bob"])
                np.testing.assert_allclose(seen["bob"], A @ B, atol=1e-4)
                np.testing.assert_allclose(out["alice"], A @ B, atol=1e-4)
                self.assertTrue(all(v is None for p, v in out.items() if p != "alice"))

    def test_providers_run_only_at_their_owner(self):
        calls = []

        def program(s):
            x = s.define_private_input("alice", lambda: calls.append(s.player) or A)
            p = s.define_public_input("bob", lambda: calls.append(s.player) or B)
            self.assertIsInstance(p, tfe.PublicTensor)
            self.assertIsInstance(x, tfe.PrivateTensor)
            return p.numpy(), x.shape, np.asarray(s.reveal_to_all(x))

        out = tfe.run(tfe.players("pond", ["alice", "bob"]), program, protocol="pond")
        self.assertEqual(sorted(calls), ["alice", "bob"])
        for pub, shape, revealed in out:  # every player knows the public input and the revealed value
            np.testing.assert_allclose(pub, B, atol=2 ** -16)
            self.assertEqual(shape, (2, 3))
            np.testing.assert_allclose(revealed, A, atol=2 ** -16)

    def test_define_output_of_a_list(self):
        got = []

        def program(s):
            a = s.define_private_input("alice", lambda: A)
            s.define_output("bob", got.append, [a, tfe.relu(a), a.sum()])

        tfe.run(tfe.players("aby3", ["alice", "bob"]), program)
        self.assertEqual(len(got), 1)
        np.testing.assert_allclose(got[0][1], np.maximum(A, 0), atol=2 ** -16)
        np.testing.assert_allclose(got[0][2], A.sum(), atol=1e-4)

    def test_statistics(self):
        def program(s):
            a = s.define_private_input("alice", lambda: A)
            before = s.stats()
            s.reveal_to("alice", a * a)
            return before, s.stats()

        players = tfe.players("aby3", ["alice"])
        for before, after in tfe.run(players, program)[:3]:
            self.assertGreater(after["bytes_sent"], before["bytes_sent"])
            self.assertGreater(after["rounds"], before["rounds"])
            self.assertIn("mul", after["by_tag"])

    def test_players_run_concurrently_in_threads(self):
        threads = set()

        def program(s):
            threads.add(threading.get_ident())
            x = s.define_private_input("alice", lambda: A)
            for _ in range(20):  # many ops: every player needs the GIL between them
                x = tfe.relu(x * 0.5 + 0.25)
            return s.reveal_to("alice", x)

        out = tfe.run(tfe.players("aby3", ["alice"]), program, threads=1)
        self.assertEqual(len(threads), 4)
        self.assertNotIn(threading.get_ident(), threads)
        ref = A.copy()
        for _ in range(20):
            ref = np.maximum(ref * 0.5 + 0.25, 0)
        np.testing.assert_allclose(out[3], ref, atol=1e-4)

    def test_iteration_and_indexing_like_numpy(self):
        def program(s):
            a = s.define_private_input("alice", lambda: A)
            rows = [s.reveal_to("alice", row) for row in a]  # stops at IndexError, as numpy
            with self.assertRaises(IndexError):
                a[2]
            return rows, s.reveal_to("alice", a[np.int64(1), 1:])

        rows, last = tfe.run(tfe.players("aby3", ["alice"]), program)[3]
        self.assertEqual(len(rows), 2)
        np.testing.assert_allclose(np.stack(rows), A, atol=2 ** -16)
        np.testing.assert_allclose(last, A[1, 1:], atol=2 ** -16)

    def test_tensors_of_an_ended_session_raise(self):
        kept = []

        def program(s):
            kept.append(s.define_private_input("alice", lambda: A))

        tfe.run(tfe.players("plain", ["alice"]), program, protocol="plain")
        with self.assertRaisesRegex(tfe.ProtocolError, "has ended"):
            kept[0] + kept[0]
        with self.assertRaisesRegex(tfe.ProtocolError, "has ended"):
            kept[0].shape


if __name__ == "__main__":
    unittest.main()
