import Foundation
import Testing
@testable import SAETrackIO

private func same(_ a: Double?, _ b: String?) -> Bool {
    guard let a, let b, let want = Double(b) else { return a == nil && b == nil }
    if want.isNaN { return a.isNaN }
    if want.isInfinite { return a == want }
    return abs(a - want) <= 1e-12 * max(1, abs(want))
}

@Test("inspect statistics (min, max, mean, NaN count) match numpy for every dtype, inf and NaN included")
func inspectionStatisticsMatchNumpy() throws {
    let report = try Inspection(IOFixtures.url("safetensors/all-dtypes.safetensors"))
    let stats = try IOFixtures.json("safetensors/expected.json")["stats"] as! [String: [String: Any]]
    #expect(report.kind == .safetensors && report.tensors.count == stats.count)
    for t in report.tensors {
        let want = stats[t.name]!
        #expect(same(t.min, want["min"] as? String) && same(t.max, want["max"] as? String), "\(t.name)")
        #expect(same(t.mean, want["mean"] as? String), "\(t.name): \(String(describing: t.mean)) vs \(want["mean"] ?? "")")
        #expect(t.nanCount == want["nan_count"] as! Int, "\(t.name)")
    }
    #expect(report.metadata == ["all-dtypes.safetensors": ["format": "pt"]])
    let json = try JSONSerialization.data(withJSONObject: report.jsonObject)   // valid JSON despite inf/NaN
    #expect(json.count > 100)
    let table = report.table
    #expect(table.contains("f16") && table.contains("inf") && table.contains("metadata (all-dtypes.safetensors): format=pt"))
    #expect(table.hasSuffix("16 tensors, \(report.parameterCount) elements"))
}

@Test("inspect recognises model and SAE directories, shows their config and verification")
func inspectionOfDirectories() throws {
    let model = try Inspection(IOFixtures.url("models/neox-tiny-sharded"))
    #expect(model.kind == .model && model.verificationProblem == nil)
    #expect(model.configSummary == "GPT-NeoX, 2 layers, d_model 16, 2 heads, vocab 50")
    #expect(Set(model.tensors.map(\.file)).count > 1 && model.table.contains("file"))
    #expect(model.config?["model_type"] as? String == "gpt_neox")
    let broken = try Inspection(IOFixtures.url("models/broken/neox-many-problems"))
    #expect(broken.verificationProblem?.contains("missing:     embed_out.weight") == true)
    let sae = try Inspection(IOFixtures.url("sae/saelens-topk"))
    #expect(sae.kind == .sae && sae.verificationProblem == nil && sae.config?["k"] as? Int == 4)
    #expect(Set(sae.tensors.map(\.name)) == ["W_enc", "b_enc", "W_dec", "b_dec"])
    #expect(throws: SafetensorsError.self) { try Inspection(IOFixtures.url("safetensors/malformed/hole.safetensors")) }
}
