import Testing
@testable import SAETrackMetrics

@Test("module links") func moduleLinks() { #expect(String(describing: SAETrackMetricsModule.self).hasPrefix("SAETrack")) }
