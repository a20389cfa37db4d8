// libFuzzer target for the safetensors reader. See Docs/Fuzzing.md.
//
// Built with -DSAETRACK_LIBFUZZER and -sanitize=fuzzer, `main` runs libFuzzer's driver, which
// calls `LLVMFuzzerTestOneInput` with generated inputs. Built normally (as `swift build` does), the
// target is a replayer: `SafetensorsFuzz FILE...` runs each file through the same entry point,
// to reproduce a crash without the fuzzer.
import Foundation
import SAETrackIO

/// Parses `bytes` as a safetensors file; when accepted, reads every tensor and checks the
/// results are consistent with the header. Crashes (traps) only on a reader bug.
func exercise(_ bytes: Data) {
    guard let file = try? SafetensorsFile(bytes: bytes) else { return }
    var covered = 0
    for t in file.tensors {
        guard let values = try? file.floats(t.name) else { fatalError("accepted tensor '\(t.name)' is unreadable") }
        precondition(values.count == t.elementCount, "tensor '\(t.name)': \(values.count) values for shape \(t.shape)")
        _ = try? file.int32s(t.name)
        covered += t.dataOffsets.count
    }
    precondition(covered <= bytes.count, "accepted tensors cover more bytes than the file holds")
}

/// libFuzzer's entry point for one generated input.
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    exercise(size == 0 ? Data() : Data(bytes: data!, count: size))
    return 0
}

#if SAETRACK_LIBFUZZER
/// libFuzzer's driver (SwiftPM renames an executable's `main`, so libFuzzer's own `main` is not
/// used; `main()` below hands control to the driver instead).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt
#endif

@main
enum SafetensorsFuzzMain {
    static func main() throws {
        #if SAETRACK_LIBFUZZER
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput))
        #else
        let files = CommandLine.arguments.dropFirst()
        guard !files.isEmpty else {
            FileHandle.standardError.write(Data("usage: SafetensorsFuzz FILE... (replays inputs; build with -sanitize=fuzzer to fuzz)\n".utf8))
            exit(2)
        }
        for path in files {
            exercise(try Data(contentsOf: URL(fileURLWithPath: path)))
            print("ok \(path)")
        }
        #endif
    }
}
