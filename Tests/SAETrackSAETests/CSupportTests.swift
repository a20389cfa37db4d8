import CSupport
import Testing

/// The C helpers behind the executable's allocator settings and the backward's streamed stores.
@Suite("C support")
struct CSupportTests {
    @Test("stream copy equals the source for every length 0…70 and every destination misalignment 0…7")
    func streamCopy() {
        let source = (0..<80).map { Float($0) * 0.5 - 7 }
        for offset in 0..<8 {
            for n in 0...70 {
                var destination = [Float](repeating: .nan, count: 90)
                source.withUnsafeBufferPointer { s in
                    destination.withUnsafeMutableBufferPointer { d in saetrack_stream_copy(d.baseAddress! + offset, s.baseAddress!, n) }
                }
                #expect(Array(destination[offset..<(offset + n)]) == Array(source[0..<n]), "n=\(n) offset=\(offset)")
                #expect(destination[..<offset].allSatisfy(\.isNaN) && destination[(offset + n)...].allSatisfy(\.isNaN),
                        "wrote outside [\(offset), \(offset + n))")
            }
        }
    }

    @Test("glibc accepts the allocator settings (a refused or compiled-out call would return 0)")
    func allocatorSettings() {
        #expect(saetrack_keep_freed_buffers() == 1)
    }
}
