"""fuzz_regression_test: a libFuzzer target replayed as a Bazel test."""

def fuzz_regression_test(name, deps = [], data = [], mutations = 5000, max_len = 8192, **kwargs):
    """Defines <name>_fuzzer_test from <name>_fuzzer.cc.

    Built with the normal toolchain (gcc, no libFuzzer): replay_main calls
    LLVMFuzzerTestOneInput on every file of corpus/<name>/ (the committed
    seeds, which must not be empty) and of regressions/<name>/ (each crash
    input found and fixed), then a deterministic fuzzing pass of
    `mutations` inputs mutated from those with a fixed seed (replay_main.cc),
    so every `bazel test` fuzzes each target a little, reproducibly.
    tools/fuzz.sh builds the same source with clang++-14 and libFuzzer for
    coverage-guided fuzzing.

    Args:
      name: the target name, as tools/fuzz.sh knows it.
      deps: libraries under test.
      mutations: how many mutated inputs the test runs.
      max_len: the largest mutated input (bytes), as in tools/fuzz.sh.
      data: extra runtime files.
      **kwargs: passed to cc_test.
    """
    native.cc_test(
        name = name + "_fuzzer_test",
        size = "small",
        srcs = [name + "_fuzzer.cc"],
        args = [
            "--mutations=%d" % mutations,
            "--max_len=%d" % max_len,
            "fuzz/corpus/" + name,
            "fuzz/regressions/" + name,
        ],
        data = native.glob([
            "corpus/%s/**" % name,
            "regressions/%s/**" % name,
        ]) + data,
        deps = deps + [
            ":fuzz_util",
            ":replay_main",
        ],
        **kwargs
    )
