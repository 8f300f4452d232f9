"""cc_grpc_proto: compiles a .proto with Debian's protoc and grpc_cpp_plugin.

cc_grpc_proto(name = "vault", src = "vault.proto") defines
  :vault_cc_proto  (messages: vault.pb.h)
  :vault_cc_grpc   (services: vault.grpc.pb.h; depends on :vault_cc_proto)
"""

def cc_grpc_proto(name, src, deps = [], visibility = None):
    base = src[:-len(".proto")]
    pb = [base + ".pb.h", base + ".pb.cc"]
    grpc = [base + ".grpc.pb.h", base + ".grpc.pb.cc"]
    native.genrule(
        name = name + "_gen",
        srcs = [src],
        outs = pb + grpc,
        cmd = " ".join([
            "/usr/bin/protoc",
            "-I.",
            "-I/usr/include",
            "--cpp_out=$(GENDIR)",
            "--grpc_out=$(GENDIR)",
            "--plugin=protoc-gen-grpc=/usr/bin/grpc_cpp_plugin",
            "$(location %s)" % src,
        ]),
        visibility = ["//visibility:private"],
    )
    native.cc_library(
        name = name + "_cc_proto",
        srcs = [base + ".pb.cc"],
        hdrs = [base + ".pb.h"],
        copts = ["-Wno-unused-parameter"],
        deps = deps + ["//third_party/system:protobuf"],
        visibility = visibility,
    )
    native.cc_library(
        name = name + "_cc_grpc",
        srcs = [base + ".grpc.pb.cc"],
        hdrs = [base + ".grpc.pb.h"],
        copts = ["-Wno-unused-parameter"],
        deps = [
            ":" + name + "_cc_proto",
            "//third_party/system:grpcpp",
        ],
        visibility = visibility,
    )
