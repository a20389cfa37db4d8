import Foundation
import SAETrackCore
import SAETrackSAE

/// Loads the JSON fixtures written by Tests/Fixtures/metrics/generate.py.
struct Fixture {
    let json: [String: Any]

    init(_ name: String) throws {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/metrics/\(name)")
        json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    init(object: [String: Any]) { json = object }

    subscript(_ key: String) -> Any { json[key]! }

    func int(_ key: String) -> Int { json[key] as! Int }
    func double(_ key: String) -> Double { (json[key] as! NSNumber).doubleValue }
    func doubles(_ key: String) -> [Double] { (json[key] as! [NSNumber]).map(\.doubleValue) }
    func floats(_ key: String) -> [Float] { doubles(key).map(Float.init) }
    func ints(_ key: String) -> [Int] { json[key] as! [Int] }
    func matrix(_ key: String) -> Matrix { Fixture.matrix(json[key]!) }
    func object(_ key: String) -> Fixture { Fixture(object: json[key] as! [String: Any]) }

    static func matrix(_ any: Any) -> Matrix {
        let rows = (any as! [Any]).map { r -> [Float] in
            if let nums = r as? [NSNumber] { return nums.map(\.floatValue) }
            return [(r as! NSNumber).floatValue]          // 1-D tensor → one column
        }
        return Matrix(rows)
    }

    /// An SAE stored as {w_enc, b_enc, w_dec, b_dec}.
    func sae(_ key: String) -> SparseAutoencoder {
        let s = object(key)
        return SparseAutoencoder(wEnc: s.matrix("w_enc"), bEnc: s.floats("b_enc"),
                                 wDec: s.matrix("w_dec"), bDec: s.floats("b_dec"))
    }
}

/// Largest |a − b| over two equal-length sequences.
func maxAbsDiff<A: Sequence, B: Sequence>(_ a: A, _ b: B) -> Double where A.Element: BinaryFloatingPoint, B.Element: BinaryFloatingPoint {
    zip(a, b).map { abs(Double($0) - Double($1)) }.max() ?? 0
}
