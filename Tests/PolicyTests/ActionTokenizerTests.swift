import Foundation
import Testing
import TestSupport
@testable import Policy

/// Checked against OpenVLA's own ActionTokenizer and predict_action arithmetic
/// (fixture made by Models/tools/make_action_fixtures.py).
@Suite("OpenVLA action tokens and un-normalisation")
struct ActionTokenizerTests {
    struct Fixture: Decodable {
        struct Encode: Decodable { var action: [Double]; var tokens: [Int] }
        struct Decode: Decodable { var tokens: [Int]; var normalized: [Double]; var unnormalized: [Double] }
        var vocab_size: Int
        var bins: Int
        var edges: [Double]
        var centers: [Double]
        var q01: [Double]
        var q99: [Double]
        var mask: [Bool]
        var encode: [Encode]
        var decode: [Decode]
    }

    let fixture: Fixture = try! JSONDecoder().decode(
        Fixture.self, from: Data(contentsOf: TestSupport.fixture("policy/actions.json")))

    @Test("bin edges and centres are numpy's, bit for bit")
    func bins() {
        let t = ActionTokenizer(vocabularySize: fixture.vocab_size, bins: fixture.bins)
        #expect(t.edges == fixture.edges)
        #expect(t.centers == fixture.centers)
        #expect(t.tokenRange == 31744..<32000)
    }

    @Test("encoding matches ActionTokenizer.__call__ (clipping and the top edge included)")
    func encode() {
        let t = ActionTokenizer(vocabularySize: fixture.vocab_size)
        for e in fixture.encode { #expect(t.tokens(for: e.action) == e.tokens, "\(e.action)") }
    }

    @Test("decoding and un-normalisation match predict_action exactly, out-of-range ids clipped")
    func decode() {
        let t = ActionTokenizer(vocabularySize: fixture.vocab_size)
        let stats = ActionStatistics(q01: fixture.q01, q99: fixture.q99, mask: fixture.mask)
        for d in fixture.decode {
            let normalized = t.values(for: d.tokens)
            #expect(normalized == d.normalized, "\(d.tokens)")
            #expect(stats.unnormalize(normalized) == d.unnormalized, "\(d.tokens)")
        }
    }

    @Test("normalize inverts unnormalize on the masked dimensions")
    func roundTrip() {
        let stats = ActionStatistics(q01: fixture.q01, q99: fixture.q99, mask: fixture.mask)
        let a = [-0.5, 0, 0.25, 1, -1, 0.75, 0.3]
        let back = stats.normalize(stats.unnormalize(a))
        for i in 0..<7 { #expect(abs(back[i] - a[i]) < 1e-12) }
    }

    @Test("statistics selection: one dataset needs no key, several need one, a wrong key lists the choices")
    func selection() throws {
        let s = ActionStatistics(q01: [0], q99: [1])
        let one = DatasetStatistics(actions: ["bridge_orig": s])
        #expect(try one.statistics(for: nil).key == "bridge_orig")
        let two = DatasetStatistics(actions: ["bridge_orig": s, "fractal": s])
        #expect(throws: ActionStatisticsError.keyRequired(available: ["bridge_orig", "fractal"])) { try two.statistics(for: nil) }
        #expect(throws: ActionStatisticsError.unknownKey("droid", available: ["bridge_orig", "fractal"])) { try two.statistics(for: "droid") }
        do { _ = try two.statistics(for: "droid") } catch { #expect("\(error)".contains("bridge_orig, fractal")) }
    }

    @Test("norm_stats JSON in OpenVLA's layout")
    func parse() throws {
        let json = try JSONSerialization.jsonObject(with: Data(#"""
        {"bridge_orig": {"action": {"mean": [0,0], "q01": [-1.5, 0], "q99": [2.5, 1], "mask": [true, false]},
                         "proprio": {"q01": [0], "q99": [0]}, "num_transitions": 10}}
        """#.utf8)) as! [String: Any]
        let stats = try DatasetStatistics(json: json, file: "config.json")
        let s = try stats.statistics(for: "bridge_orig").statistics
        #expect(s.mask == [true, false])
        #expect(s.unnormalize([0, 0.5]) == [0.5, 0.5])
        let bad = try JSONSerialization.jsonObject(with: Data(#"{"x": {"action": {"q01": [1, 2], "q99": [1]}}}"#.utf8)) as! [String: Any]
        #expect(throws: ActionStatisticsError.self) { try DatasetStatistics(json: bad, file: "config.json") }
    }

    @Test("OpenVLA's prompt")
    func prompt() {
        #expect(PromptTemplate.openVLA.text(for: "Put the Red Block in the bowl")
                == "In: What action should the robot take to put the red block in the bowl?\nOut:")
    }
}
