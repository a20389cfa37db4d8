import Foundation
import Testing
@testable import SAETrack
import SAETrackLM

@Suite("Curriculum timing: detected against scheduled onsets and dissolutions")
struct CurriculumTimingTests {
    static let steps = [0, 1, 2, 4, 8, 16, 32, 60, 64, 120]

    static func curve(_ name: String, _ auroc: [Double?]) -> TrackAnalysis.GroundTruthCurve {
        .init(name: name, kind: "concept", steps: steps, auroc: auroc, bestFeature: auroc.map { _ in nil }, formedStep: nil)
    }

    @Test("detection of onset and dissolution on constructed AUROC curves (nil counts as below θ)")
    func detection() {
        let d = TrackAnalysis.CurriculumTiming.detect
        // A blip above θ at index 3 is not the onset: the run that lasts starts at 6.
        #expect(d([0.5, 0.5, 0.6, 0.9, nil, 0.5, 0.9, 0.95, 0.9, 0.97], 0.85) == (6, nil))
        #expect(d([0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.5, 0.4, 0.6, 0.5], 0.85) == (0, 6))
        #expect(d([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.9, 0.6], 0.85) == (8, 9))
        #expect(d([0.5, nil, 0.5], 0.85) == (nil, nil))
        #expect(d([0.85], 0.85) == (0, nil))
    }

    @Test("onset errors, per event and as medians, match the hand-worked values")
    func handWorked() {
        let windows = [
            PlantedFeatureWindow(feature: "a", enterStep: 10),
            PlantedFeatureWindow(feature: "b", enterStep: 0, leaveStep: 30),
            PlantedFeatureWindow(feature: "c", enterStep: 50, leaveStep: 100),
            PlantedFeatureWindow(feature: "d", enterStep: 4),
            PlantedFeatureWindow(feature: "e", enterStep: 200),
            PlantedFeatureWindow(feature: "no_curve", enterStep: 8),
        ]
        let curves = [
            Self.curve("a", [0.5, 0.5, 0.6, 0.9, nil, 0.5, 0.9, 0.95, 0.9, 0.97]),
            Self.curve("b", [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.5, 0.4, 0.6, 0.5]),
            Self.curve("c", [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.9, 0.6]),
            Self.curve("d", [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]),
            Self.curve("e", [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]),
        ]
        let t = TrackAnalysis.CurriculumTiming.compare(windows: windows, groundTruth: curves, threshold: 0.85)
        typealias E = TrackAnalysis.CurriculumEvent
        // (feature, event, scheduled, first checkpoint > scheduled, detected, ε intervals, ε steps), worked by hand:
        // a: onset at index 6 (step 32); first checkpoint after 10 is 16 (index 5) → +1 interval, 32 − 10 = +22 steps.
        // b: enters at 0 (not compared); dissolves at index 6 (32); first after 30 is 32 (6) → 0, +2.
        // c: onset index 8 (64) vs 60 (7) → +1, +14; dissolution index 9 (120) vs 120 (9) → 0, +20.
        // d: never ≥ θ → not detected.  e: scheduled after the last checkpoint → no checkpoint can show it.
        let expected: [(String, E.Event, Int, Int?, Int?, Int?, Int?)] = [
            ("a", .onset, 10, 16, 32, 1, 22), ("b", .dissolution, 30, 32, 32, 0, 2),
            ("c", .onset, 50, 60, 64, 1, 14), ("c", .dissolution, 100, 120, 120, 0, 20),
            ("d", .onset, 4, 8, nil, nil, nil), ("e", .onset, 200, nil, 0, nil, nil),
        ]
        #expect(t.events.count == expected.count)
        for (e, x) in zip(t.events, expected) {
            #expect(e.feature == x.0 && e.event == x.1 && e.scheduledStep == x.2 && e.expectedStep == x.3
                    && e.detectedStep == x.4 && e.errorIntervals == x.5 && e.errorSteps == x.6, "\(e)")
        }
        // Onsets |ε| = {1, 1} intervals, {22, 14} steps; dissolutions {0, 0}, {2, 20}; all four: {1, 0, 1, 0}, {22, 2, 14, 20}.
        #expect(t.onsetMedianAbsErrorIntervals == 1 && t.onsetMedianAbsErrorSteps == 18)
        #expect(t.dissolutionMedianAbsErrorIntervals == 0 && t.dissolutionMedianAbsErrorSteps == 11)
        #expect(t.medianAbsErrorIntervals == 0.5 && t.medianAbsErrorSteps == 17)
        #expect(t.undetected == 2)
        let sentence = TrackFindings.curriculumSentence(t)
        #expect(sentence.hasPrefix("Curriculum timing: median |detected − scheduled| 0.5 checkpoint intervals (17 steps) over 4 of 6 scheduled events; onsets 1.0 checkpoint interval (18 steps), dissolutions 0.0 checkpoint intervals (11 steps)"))
        #expect(sentence.contains("“d” onset scheduled 4, not detected"))
        // Round trip through analysis.json's encoder.
        let data = try! AnalysisExport.jsonEncoder.encode(t)
        #expect(String(decoding: data, as: UTF8.self).contains("\"median_abs_error_intervals\""))
        #expect(try! AnalysisExport.jsonDecoder.decode(TrackAnalysis.CurriculumTiming.self, from: data) == t)
    }
}
