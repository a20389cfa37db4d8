import Testing
@testable import SAETrack

@Test("umbrella re-exports the core") func umbrella() { #expect(Matrix(rows: 2, cols: 3).count == 6) }
