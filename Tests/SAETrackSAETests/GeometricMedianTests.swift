import Testing
import SAETrackCore
@testable import SAETrackSAE

struct GeometricMedianTests {
    @Test("Weiszfeld geometric median matches scipy's minimiser of Σ‖p_i − m‖ (with an outlier)", arguments: [0, 1, 2])
    func matchesScipy(_ i: Int) throws {
        let f = try Fixtures.file("geometric_median.safetensors")
        let points = try f.matrix("points_\(i)")
        let expected = try f.floats("median_\(i)")
        let median = GeometricMedian.compute(points)
        let scale = expected.map(abs).max()! + 1
        #expect(zip(median, expected).allSatisfy { abs($0 - $1) <= 1e-3 * scale })
        let objective = GeometricMedian.objective(points, median.map(Double.init))
        #expect(objective <= Double(try f.floats("objective_\(i)")[0]) * (1 + 1e-6))
        // and it is not the mean (the outlier pulls the mean away)
        let mean = SAEObjective.columnMeans(points)
        #expect(zip(mean, expected).contains { abs($0 - $1) > 1e-2 })
    }
}
