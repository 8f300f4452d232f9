"""Builds every crypto library and test twice: OpenSSL 3 and BoringSSL.

The product links OpenSSL 3 (the libcrypto Debian's gRPC links). The same
sources must also build and pass against Debian's BoringSSL, so that nothing
outside the EVP API the two share creeps in.

crypto_cc_library(name = "aead", crypto_deps = ["secret_bytes"], ...) defines
  :aead            against //third_party/system:crypto (OpenSSL 3)
  :aead_boringssl  against //third_party/system:boringssl_crypto, private to
                   this package (never link it beside OpenSSL or gRPC)

crypto_cc_test(name = "aead_test", crypto_deps = ["aead"], ...) defines
  :aead_test and :aead_boringssl_test, each linking the matching variants.

`crypto_deps` names sibling crypto_cc_library targets (without the suffix);
`deps` are backend-neutral (Abseil, GoogleTest). Every test also links
:crypto_backend_check, which fails if a variant compiled against the wrong
headers or loaded the wrong libcrypto.
"""

_BACKENDS = [
    # (name suffix, libcrypto target, local_defines)
    ("", "//third_party/system:crypto", []),
    (
        "_boringssl",
        "//third_party/system:boringssl_crypto",
        ["LAYER_VAULT_CRYPTO_EXPECT_BORINGSSL"],
    ),
]

_PRIVATE = ["//visibility:private"]

_TEST_DEPS = [
    "//third_party/system:absl",
    "//third_party/system:gtest_main",
]

def _variant_deps(crypto_deps, suffix):
    return [":" + dep + suffix for dep in crypto_deps]

def crypto_cc_library(
        name,
        srcs = [],
        hdrs = [],
        crypto_deps = [],
        deps = [],
        visibility = None,
        **kwargs):
    for suffix, backend, defines in _BACKENDS:
        native.cc_library(
            name = name + suffix,
            srcs = srcs,
            hdrs = hdrs,
            local_defines = defines,
            deps = _variant_deps(crypto_deps, suffix) + deps + [backend],
            # Only the OpenSSL variant is for other packages.
            visibility = visibility if suffix == "" else _PRIVATE,
            **kwargs
        )

def crypto_cc_test(name, srcs, crypto_deps = [], deps = [], **kwargs):
    if not name.endswith("_test"):
        fail("crypto_cc_test name must end with _test: " + name)
    base = name[:-len("_test")]
    for suffix, backend, defines in _BACKENDS:
        native.cc_test(
            name = base + suffix + "_test",
            srcs = srcs,
            local_defines = defines,
            deps = _variant_deps(crypto_deps, suffix) +
                   _variant_deps(["crypto_backend_check"], suffix) +
                   deps + [backend] + _TEST_DEPS,
            **kwargs
        )
