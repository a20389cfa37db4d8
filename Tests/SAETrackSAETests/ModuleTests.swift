import Testing
@testable import SAETrackSAE

@Test("module links") func moduleLinks() { #expect(String(describing: SAETrackSAEModule.self).hasPrefix("SAETrack")) }
