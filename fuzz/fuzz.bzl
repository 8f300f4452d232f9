"""fuzz_regression_test: a libFuzzer target replayed as a Bazel test."""

def fuzz_regression_test(name, deps = [], data = [], **kwargs):
    """Defines <name>_fuzzer_test from <name>_fuzzer.cc.

    Built with the normal toolchain (gcc, no libFuzzer): replay_main calls
    LLVMFuzzerTestOneInput on every file of corpus/<name>/ (the committed
    seeds, which must not be empty) and of regressions/<name>/ (each crash
    input found and fixed). tools/fuzz.sh builds the same source with
    clang++-14 and libFuzzer to fuzz it.

    Args:
      name: the target name, as tools/fuzz.sh knows it.
      deps: libraries under test.
      data: extra runtime files.
      **kwargs: passed to cc_test.
    """
    native.cc_test(
        name = name + "_fuzzer_test",
        size = "small",
        srcs = [name + "_fuzzer.cc"],
        args = [
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
