// libFuzzer target for the safetensors reader. See Docs/Fuzzing.md.
//
// Built with -DSAETRACK_LIBFUZZER and -sanitize=fuzzer, libFuzzer supplies `main` and calls
// `LLVMFuzzerTestOneInput` with generated inputs. Built normally (as `swift build` does), the
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

#if SAETRACK_LIBFUZZER
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    exercise(Data(bytes: data, count: size))
    return 0
}
#else
@main
enum SafetensorsFuzzReplay {
    static func main() throws {
        let files = CommandLine.arguments.dropFirst()
        guard !files.isEmpty else {
            FileHandle.standardError.write(Data("usage: SafetensorsFuzz FILE... (replays inputs; build with -sanitize=fuzzer to fuzz)\n".utf8))
            exit(2)
        }
        for path in files {
            exercise(try Data(contentsOf: URL(fileURLWithPath: path)))
            print("ok \(path)")
        }
    }
}
#endif
