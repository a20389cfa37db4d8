import Foundation
import Testing
import SAETrackCore
@testable import SAETrackIO

private func bytes(hex: String) -> [UInt8] {
    let u = Array(hex.utf8)
    return stride(from: 0, to: u.count, by: 2).map { UInt8(String(decoding: u[$0..<($0 + 2)], as: UTF8.self), radix: 16)! }
}

@Test("SHA-256 matches hashlib on padding-boundary lengths, UTF-8 and a 1 MB message, in one call or fed in pieces")
func sha256MatchesHashlib() throws {
    let messages = try IOFixtures.json("sha256.json")["messages"] as! [String: [String: Any]]
    #expect(messages.count >= 16)
    for (name, v) in messages {
        let msg: [UInt8] = (v["hex"] as? String).map { bytes(hex: $0) } ?? [UInt8](repeating: UInt8(ascii: "a"), count: v["length"] as! Int)
        #expect(msg.count == v["length"] as! Int)
        let want = v["sha256"] as! String
        #expect(SHA256.hash(msg).hexDigest == want, "\(name)")
        // Uneven pieces cross block boundaries in every way.
        var h = SHA256()
        var i = 0, k = 1
        while i < msg.count { let n = min(k, msg.count - i); h.update(Array(msg[i..<(i + n)])); i += n; k = k % 97 + 13 }
        #expect(h.finalize().hexDigest == want, "\(name) in pieces")
    }
}

@Test("canonical weight hashes match hashlib over the same encoding, whatever the file dtype or GPT-2 prefix")
func weightDigestsMatchHashlib() throws {
    let want = try IOFixtures.json("sha256.json")["weights"] as! [String: String]
    for (name, digest) in want {
        #expect(try ModelDirectory(IOFixtures.url("models/\(name)")).weightsSHA256() == digest, "\(name)")
    }
    #expect(try ModelDirectory(IOFixtures.url("models/gpt2-tiny-hubstyle")).weightsSHA256() == want["gpt2-tiny"])
    #expect(try ModelDirectory(IOFixtures.url("models/neox-tiny-sharded")).weightsSHA256() == want["neox-tiny"])
}
