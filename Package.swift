// swift-tools-version:6.0
import PackageDescription

// Dependencies point one way: Core <- IO <- LM <- SAE <- Metrics <- SAETrack <- CLIOptions <- CLI.
let package = Package(
    name: "SAETrack",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "SAETrack", targets: ["SAETrack"]),
        .executable(name: "saetrack", targets: ["saetrack"]),
        .executable(name: "saetrack-mpi", targets: ["saetrack-mpi"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev", "pkg-config"])]
        ),
        // Open MPI, for the latent-sharded trainer only (Docs/Distributed.md): `saetrack` and the
        // library never depend on it, so they build and run without MPI.
        .systemLibrary(
            name: "CMPI",
            pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]
        ),
        // The same sgemm called from C, so the Swift wrapper's overhead is visible in `saetrack bench gemm`.
        .target(name: "CGEMMBench", dependencies: ["COpenBLAS"], path: "Benchmarks/CGEMMBench"),
        // C helpers Swift cannot express: glibc allocator settings, non-temporal stores, AVX2 + FMA
        // row kernels chosen at run time.
        .target(name: "CSupport"),
        .target(name: "SAETrackCore", dependencies: ["COpenBLAS", "CSupport"]),
        .target(name: "SAETrackIO", dependencies: ["SAETrackCore"]),
        .target(name: "SAETrackLM", dependencies: ["SAETrackCore", "SAETrackIO", "CSupport"]),
        .target(name: "SAETrackSAE", dependencies: ["SAETrackCore", "SAETrackIO", "SAETrackLM", "CSupport"]),
        .target(name: "SAETrackMetrics", dependencies: ["SAETrackCore", "SAETrackIO", "SAETrackSAE"]),
        .target(
            name: "SAETrack",
            dependencies: ["SAETrackCore", "SAETrackIO", "SAETrackLM", "SAETrackSAE", "SAETrackMetrics"]
        ),
        // The command-line option groups both executables take (all of `train-sae`'s, `--architecture` and the TopK family,
        // `--weight-init`, the JumpReLU options, `--resume-changed` / `--restart`) and the enums of their choices, one copy so
        // `saetrack-mpi train-sae` parses what `saetrack` does.
        .target(
            name: "SAETrackCLIOptions",
            dependencies: ["SAETrack", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "saetrack",
            dependencies: [
                "SAETrack", "SAETrackCLIOptions", "CGEMMBench", "CSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Latent-sharded SAE training over MPI, and `mpirun -np N saetrack-mpi train-sae ...`.
        .target(name: "SAETrackMPI", dependencies: ["CMPI", "SAETrackCore", "SAETrackSAE"]),
        .executableTarget(
            name: "saetrack-mpi",
            dependencies: [
                "SAETrackMPI", "SAETrack", "SAETrackCLIOptions", "CSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // libFuzzer target for the safetensors reader (Docs/Fuzzing.md); a file replayer in normal builds.
        .executableTarget(name: "SafetensorsFuzz", dependencies: ["SAETrackIO"], path: "Fuzz/SafetensorsFuzz"),
        .testTarget(name: "SAETrackCoreTests", dependencies: ["SAETrackCore"]),
        .testTarget(name: "SAETrackIOTests", dependencies: ["SAETrackIO"]),
        .testTarget(name: "SAETrackLMTests", dependencies: ["SAETrackLM"]),
        .testTarget(name: "SAETrackSAETests", dependencies: ["SAETrackSAE"]),
        .testTarget(name: "SAETrackMetricsTests", dependencies: ["SAETrackMetrics"]),
        .testTarget(name: "SAETrackTests", dependencies: ["SAETrack"]),
        // Parses the option groups both executables share (choices, defaults, fingerprints), in process.
        .testTarget(name: "SAETrackCLIOptionsTests", dependencies: ["SAETrackCLIOptions"]),
        // Runs the built `saetrack` executable (kill and resume); needs the CLI built beside it.
        .testTarget(name: "SAETrackCLITests", dependencies: ["SAETrack"]),
        // Runs `mpirun … saetrack-mpi` against `saetrack`; needs both executables built beside it.
        .testTarget(name: "SAETrackMPITests", dependencies: ["SAETrack"]),
    ],
    swiftLanguageModes: [.v5]
)
