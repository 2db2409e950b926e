// tests/conformance/suite_errors.hpp: conformance of the error paths. A failing op throws at every
// player; run_local rethrows the first failure as tfe::player_error, whose original exception keeps
// its type (shape_error, protocol_error, encoding_error) and whose what() names the shapes / players.
#ifndef TFE_CONFORMANCE_ERRORS_DONE  // not #pragma once: suite.hpp forgets it, for the next protocol of the unit
#define TFE_CONFORMANCE_ERRORS_DONE

#include "suite_common.hpp"

namespace TFE_CONFORMANCE_NAMESPACE {

/// Runs `prog`, expecting a player_error whose original exception is an E and whose message contains
/// every string of `parts`. Checks run on the main thread.
template <class E>
void check_fails(const char* label, const std::function<void(ctx&)>& prog, const std::vector<std::string>& parts) {
  INFO("case: ", label);
  const failure f = run_failing<E, P>(prog);
  CHECK_MESSAGE(f.threw, "run_local did not throw tfe::player_error");
  CHECK_MESSAGE(f.original_matches, "the original exception has another type; what(): ", f.what);
  for (const auto& part : parts)
    CHECK_MESSAGE(contains(f.what, part), "what() = \"", f.what, "\" lacks \"", part, "\"");
}

TEST_SUITE(TFE_CONFORMANCE_SUITE_NAME) {
  TFE_CONFORMANCE_CASE("errors: shape mismatches in + - * matmul conv2d concat and friends throw shape_error") {
    using E = tfe::shape_error;
    const dvec a34 = full({3, 4}, 1.0), a5 = full({5}, 1.0), a24 = full({2, 4}, 1.0), a43 = full({4, 3}, 1.0);
    const dvec a52 = full({5, 2}, 1.0), a23 = full({2, 3}, 1.0), a234 = full({2, 3, 4}, 1.0);
    check_fails<E>("private + private", [&](ctx& k) { (void)(k.alice(a34) + k.bob(a5)); }, {"(3, 4)", "(5,)"});
    check_fails<E>("private - public", [&](ctx& k) { (void)(k.alice(a34) - k.constant(a5)); }, {"(3, 4)", "(5,)"});
    check_fails<E>("public + private", [&](ctx& k) { (void)(k.constant(a24) + k.alice(a34)); }, {"(2, 4)", "(3, 4)"});
    check_fails<E>("private * private", [&](ctx& k) { (void)(k.alice(a34) * k.bob(a24)); }, {"(3, 4)", "(2, 4)"});
    check_fails<E>("private * public", [&](ctx& k) { (void)(k.alice(a34) * k.constant(a43)); }, {"(3, 4)", "(4, 3)"});
    check_fails<E>("matmul private·private", [&](ctx& k) { (void)tfe::matmul(k.alice(a34), k.bob(a52)); },
                   {"(3, 4)", "(5, 2)"});
    check_fails<E>("matmul private·public", [&](ctx& k) { (void)tfe::matmul(k.alice(a34), k.constant(a52)); },
                   {"(3, 4)", "(5, 2)"});
    check_fails<E>("matmul public·private", [&](ctx& k) { (void)tfe::matmul(k.constant(a52), k.alice(a34)); },
                   {"(5, 2)", "(3, 4)"});
    check_fails<E>("matmul of a 3-D tensor", [&](ctx& k) { (void)tfe::matmul(k.alice(a234), k.bob(a43)); },
                   {"(2, 3, 4)"});
    const dvec img = full({1, 4, 4, 3}, 1.0), f2 = full({2, 2, 2, 1}, 1.0), img3 = full({4, 4, 3}, 1.0);
    const dvec small = full({1, 2, 2, 1}, 1.0), f3 = full({3, 3, 1, 1}, 1.0);
    check_fails<E>("conv2d channel mismatch (private filter)",
                   [&](ctx& k) { (void)tfe::conv2d(k.alice(img), k.bob(f2)); }, {"conv2d", "3", "2"});
    check_fails<E>("conv2d channel mismatch (public filter)",
                   [&](ctx& k) { (void)tfe::conv2d(k.alice(img), k.constant(f2)); }, {"conv2d"});
    check_fails<E>("conv2d of a 3-D input", [&](ctx& k) { (void)tfe::conv2d(k.alice(img3), k.bob(f2)); },
                   {"conv2d", "(4, 4, 3)"});
    check_fails<E>("conv2d VALID window larger than the image",
                   [&](ctx& k) { (void)tfe::conv2d(k.alice(small), k.bob(f3)); }, {"conv2d"});
    check_fails<E>("concat mismatch",
                   [&](ctx& k) {
                     (void)tfe::concat(privs{k.alice(a23), k.bob(a24)}, 0);
                   },
                   {"(2, 3)", "(2, 4)"});
    check_fails<E>("concat axis out of range",
                   [&](ctx& k) {
                     (void)tfe::concat(privs{k.alice(a23), k.bob(a23)}, 2);
                   },
                   {"axis"});
    check_fails<E>("stack of different shapes",
                   [&](ctx& k) {
                     (void)tfe::stack(privs{k.alice(a23), k.bob(a24)});
                   },
                   {"(2, 3)", "(2, 4)"});
    check_fails<E>("add_n of different shapes",
                   [&](ctx& k) {
                     (void)tfe::add_n(privs{k.alice(a23), k.bob(a24)});
                   },
                   {"(2, 3)", "(2, 4)"});
    check_fails<E>("reshape to a wrong size", [&](ctx& k) { (void)tfe::reshape(k.alice(a34), {5, -1}); }, {"(3, 4)"});
    check_fails<E>("split into unequal parts", [&](ctx& k) { (void)tfe::split(k.alice(a34), 3, 1); }, {"(3, 4)"});
    check_fails<E>("slice out of range", [&](ctx& k) { (void)tfe::slice(k.alice(a34), 1, 2, 5); }, {"(3, 4)"});
    check_fails<E>("maximum mismatch", [&](ctx& k) { (void)tfe::maximum(k.alice(a34), k.bob(a5)); },
                   {"(3, 4)", "(5,)"});
    check_fails<E>("less mismatch", [&](ctx& k) { (void)tfe::less(k.alice(a34), k.bob(a5)); }, {"(3, 4)", "(5,)"});
    check_fails<E>("max over a bad axis", [&](ctx& k) { (void)tfe::max(k.alice(a34), 2); }, {"axis"});
  }

  TFE_CONFORMANCE_CASE("errors: unknown players, division by zero, out-of-range inputs") {
    const dvec a = full({2, 2}, 1.0);
    check_fails<tfe::protocol_error>("private input from an unknown player",
                                     [&](ctx& k) { (void)k.s.define_private_input("carol", [&] { return a; }); },
                                     {"carol"});
    check_fails<tfe::protocol_error>("public input from an unknown player",
                                     [&](ctx& k) { (void)k.s.define_public_input("carol", [&] { return a; }); },
                                     {"carol"});
    check_fails<tfe::protocol_error>("reveal to an unknown player",
                                     [&](ctx& k) { (void)k.s.reveal_to("mallory", k.alice(a)); }, {"mallory"});
    const dvec z{{1.0, 0.0}, {2.0, 3.0}};
    check_fails<tfe::encoding_error>("division by a public tensor holding 0",
                                     [&](ctx& k) { (void)(k.alice(a) / k.constant(z)); }, {"division by zero"});
    check_fails<tfe::encoding_error>("division by the scalar 0", [&](ctx& k) { (void)(k.alice(a) / 0.0); },
                                     {"division by zero"});
    const double bound = model<P>().bound;
    const dvec too_big{{1.0, bound}, {0.0, -1.0}};
    check_fails<tfe::encoding_error>("private input out of the fixed-point range",
                                     [&](ctx& k) { (void)k.alice(too_big); }, {"out of the fixed-point range"});
    check_fails<tfe::encoding_error>("public constant out of the fixed-point range",
                                     [&](ctx& k) { (void)k.constant(too_big); }, {"out of the fixed-point range"});
  }

}  // TEST_SUITE

}  // namespace TFE_CONFORMANCE_NAMESPACE

#endif  // TFE_CONFORMANCE_ERRORS_DONE
