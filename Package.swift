// swift-tools-version:6.0
//
// SwiftVLA: a vision-language-action robot control library for Linux.
// Targets are acyclic; see README.md ("Architecture") for the map.
// No unsafe build flags anywhere: the package must build as a dependency of others.
import PackageDescription

let package = Package(
    name: "SwiftVLA",
    products: [
        .library(name: "VLA", targets: ["VLA"]),
        .executable(name: "vla", targets: ["vla"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Core Library: system libraries and C shims
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "pkg-config"])]
        ),
        .target(name: "COpenBLASSupport", dependencies: ["COpenBLAS"]),
        // OpenCV without pkg-config, whose `--libs` names all ~55 OpenCV libraries (Qt, VTK,
        // HDF5, Tesseract at load time); see Sources/COpenCV/COpenCV.h for the header path.
        .systemLibrary(name: "COpenCV", providers: [.apt(["libopencv-dev"])]),
        .target(
            name: "OpenCVBridge",
            dependencies: ["COpenCV"],
            cxxSettings: [.headerSearchPath("../COpenCV/usr"), .headerSearchPath("../COpenCV/usr-local")],
            linkerSettings: ["opencv_videoio", "opencv_imgcodecs", "opencv_imgproc", "opencv_core"].map { .linkedLibrary($0) }
        ),
        .target(name: "CActuation"),

        // Core Library: Swift modules
        .target(name: "RobotCore"),
        .target(name: "Tensors", dependencies: ["COpenBLAS", "COpenBLASSupport"]),
        .target(name: "Transformers", dependencies: ["Tensors"]),
        .target(name: "Tokenizers"),
        .target(name: "Policy", dependencies: ["Transformers", "Tokenizers", "Perception", "RobotCore"]),
        .target(name: "Perception", dependencies: ["OpenCVBridge", "RobotCore"]),
        .target(name: "Actuation", dependencies: ["RobotCore", "CActuation"]),
        .target(name: "Simulation", dependencies: ["Actuation", "Perception", "RobotCore"]),
        .target(name: "Episodes", dependencies: ["RobotCore", "OpenCVBridge"], exclude: ["FORMAT.md"]),
        .target(name: "VLA", dependencies: ["RobotCore", "Tensors", "Transformers", "Tokenizers", "Policy", "Perception", "Actuation", "Episodes"]),
        .executableTarget(
            name: "vla",
            dependencies: [
                "VLA",
                "Simulation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Examples
        .executableTarget(name: "act-on-image", dependencies: ["VLA"], path: "Examples/act-on-image"),
        .executableTarget(name: "read-episode", dependencies: ["VLA"], path: "Examples/read-episode"),
        .executableTarget(name: "sim-custom-loop", dependencies: ["Simulation", "RobotCore"], path: "Examples/sim-custom-loop"),

        // Tests
        .target(name: "TestSupport", dependencies: ["Tensors", "Transformers"], path: "Tests/TestSupport"),
        // The sample steps and frames of the Episodes tests, shared with crash-writer.
        .target(name: "EpisodeSamples", dependencies: ["Episodes", "RobotCore"], path: "Tests/EpisodeSamples"),
        // A recorder for CrashSafetyTests to SIGKILL: a separate process, because fork() in the
        // multi-threaded test process can deadlock the child. EpisodesTests depends on it so
        // it is built before the tests run.
        .executableTarget(name: "crash-writer", dependencies: ["Episodes", "EpisodeSamples"], path: "Tests/CrashWriter"),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "TestSupport"]),
        .testTarget(name: "TransformersTests", dependencies: ["Transformers", "TestSupport"]),
        .testTarget(name: "PolicyTests", dependencies: ["Policy", "TestSupport"]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "TestSupport"]),
        .testTarget(name: "SimulationTests", dependencies: ["Simulation", "TestSupport"]),
        .testTarget(name: "SimulationWorldTests", dependencies: ["Simulation", "TestSupport"]),
        .testTarget(name: "PerceptionTests", dependencies: ["Perception", "TestSupport"]),
        .testTarget(name: "ActuationTests", dependencies: ["Actuation", "Tensors", "TestSupport"]),
        .testTarget(name: "EpisodesTests", dependencies: ["Episodes", "TestSupport", "EpisodeSamples", "crash-writer"]),
        .testTarget(name: "vlaTests", dependencies: ["TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
