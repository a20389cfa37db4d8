import Testing
@testable import SAETrackLM

@Test("module links") func moduleLinks() { #expect(String(describing: SAETrackLMModule.self).hasPrefix("SAETrack")) }
