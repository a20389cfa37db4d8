import Foundation
import Testing
import SAETrackCore

@Suite("Progress clock")
struct ProgressClockTests {
    @Test("ETA from the rate since this process started, resumed runs counted from their first step")
    func secondsLeft() {
        let t0 = Date(timeIntervalSince1970: 1_000)
        let fresh = ProgressClock(total: 100, started: t0)
        #expect(fresh.secondsLeft(at: 0, now: t0.addingTimeInterval(5)) == 0)          // nothing done yet
        #expect(fresh.secondsLeft(at: 25, now: t0.addingTimeInterval(10)) == 30)       // 2.5/s, 75 left
        #expect(fresh.rate(at: 25, now: t0.addingTimeInterval(10)) == 2.5)
        let resumed = ProgressClock(total: 100, startingAt: 80, started: t0)
        #expect(resumed.secondsLeft(at: 90, now: t0.addingTimeInterval(20)) == 20)     // 10 in 20 s, 10 left
        #expect(resumed.secondsLeft(at: 120, now: t0.addingTimeInterval(20)) == 0)     // past the end: none left
    }

    @Test("clock text: m:ss below an hour, h:mm:ss from one on; nonsense reads as 0:00")
    func format() {
        #expect(ProgressClock.format(0) == "0:00")
        #expect(ProgressClock.format(59.6) == "1:00")
        #expect(ProgressClock.format(3599) == "59:59")
        #expect(ProgressClock.format(3600) == "1:00:00")
        #expect(ProgressClock.format(90_061) == "25:01:01")
        #expect(ProgressClock.format(-5) == "0:00")
        #expect(ProgressClock.format(.infinity) == "0:00")
        #expect(ProgressClock.format(.nan) == "0:00")
    }
}
