import Foundation
import Testing
@testable import Tokenizers

/// The JSON reader and the byte-exact handling of token strings.
@Suite("Tokenizer loading")
struct TokenizerLoadingTests {
    @Test func jsonEscapesAndSurrogatePairs() throws {
        let text = #"{"a": "x\"\\\/\b\f\n\r\t\u00e9\ud83e\udd16", "b": [1, -2, 3.5, 1e3, true, false, null], "c": {}}"#
        let value = try JSONValue.parse(Array(text.utf8))
        let root = JSONNode(value: value, path: "", file: "f")
        #expect(try root.required("a").string() == "x\"\\/\u{8}\u{C}\n\r\té🤖")
        let numbers = try root.required("b").array()
        #expect(try numbers[0].int() == 1)
        #expect(try numbers[1].int() == -2)
        #expect(throws: TokenizerError.invalidValue(file: "f", path: "b[2]", reason: "expected an integer")) { try numbers[2].int() }
        #expect(try numbers[3].int() == 1000)
        #expect(try numbers[4].bool())
        #expect(root["b"] != nil && root["c"] != nil && root["missing"] == nil)
        #expect(throws: TokenizerError.missingField(file: "f", path: "c.d")) { try root.required("c").required("d") }
    }

    @Test(arguments: ["", "{", "[1, 2", "{\"a\": }", "{\"a\": 1} extra", "{\"a\": \"\\q\"}", "{\"a\": tru}", "\"\\u12\""])
    func malformedJSONIsRejected(text: String) {
        #expect(throws: JSONValue.SyntaxError.self) { try JSONValue.parse(Array(text.utf8)) }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let text = String(repeating: "[", count: 100_000)
        #expect(throws: JSONValue.SyntaxError.self) { try JSONValue.parse(Array(text.utf8)) }
    }

    /// Swift's `String` equality is canonical equivalence; `tokenizers` compares bytes.
    @Test func canonicallyEquivalentTokensStayDistinct() throws {
        let json = #"{"model": {"type": "BPE", "vocab": {"é": 0, "e": 1, "\u0301": 2, "e\u0301": 3}, "merges": ["e \u0301"]}}"#
        let tokenizer = try Tokenizer(data: Data(json.utf8))
        #expect(tokenizer.vocabularySize == 4)
        #expect(tokenizer.id(for: "\u{E9}") == 0)
        #expect(tokenizer.id(for: "e\u{301}") == 3)
        #expect(tokenizer.token(for: 3)?.unicodeScalars.count == 2)
        // The cache must not confuse the two spellings either.
        #expect(tokenizer.encode("\u{E9}") == [0])
        #expect(tokenizer.encode("e\u{301}") == [3])
        #expect(tokenizer.encode("\u{E9}") == [0])
    }

    @Test func mergesAsPairsMayContainSpaces() throws {
        let json = #"{"model": {"type": "BPE", "vocab": {"a": 0, " ": 1, "a ": 2}, "merges": [["a", " "]]}}"#
        let tokenizer = try Tokenizer(data: Data(json.utf8))
        #expect(tokenizer.encode("a a ") == [2, 2])
    }

    @Test func stringMergeWithTwoSpacesIsAnError() {
        let json = #"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a a a"]}}"#
        #expect(throws: TokenizerError.invalidValue(file: "tokenizer.json", path: "model.merges[0]", reason: "expected \"left right\"")) {
            try Tokenizer(data: Data(json.utf8))
        }
    }

    @Test func badTokenizerConfigNamesThatFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftvla-tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = TokenizerFixtures.directory("llama2").appendingPathComponent("tokenizer.json")
        try FileManager.default.copyItem(at: source, to: directory.appendingPathComponent("tokenizer.json"))
        let config = directory.appendingPathComponent("tokenizer_config.json")

        try Data("not json".utf8).write(to: config)
        let error = #expect(throws: TokenizerError.self) { try Tokenizer(directory: directory) }
        if case let .invalidJSON(file, _) = error { #expect(file == config.path) } else { Issue.record("got \(String(describing: error))") }

        try Data(#"{"bos_token": "<nope>"}"#.utf8).write(to: config)
        #expect(throws: TokenizerError.invalidValue(file: config.path, path: "bos_token", reason: "\"<nope>\" is not in the tokenizer's vocabulary")) {
            try Tokenizer(directory: directory)
        }

        try Data(#"{"eos_token": {"content": "</s>"}}"#.utf8).write(to: config)
        let tokenizer = try Tokenizer(directory: directory)
        #expect(tokenizer.bosTokenID == 1)  // absent: the template's
        #expect(tokenizer.eosTokenID == 2)

        try Data(#"{"bos_token": null}"#.utf8).write(to: config)
        #expect(try Tokenizer(directory: directory).bosTokenID == nil)  // null: none
    }

    @Test func concurrentEncodingAgrees() async throws {
        let tokenizer = try TokenizerFixtures.tokenizer("llama3")
        let cases = try TokenizerFixtures.cases("llama3")
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    var bad = 0
                    for (index, testCase) in cases.enumerated() where index % 4 == worker || worker == 0 {
                        if tokenizer.encode(testCase.text) != testCase.ids { bad += 1 }
                    }
                    return bad
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }

    @Test func decodeSkipsUnknownIDs() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("gpt2")
        let ids = tokenizer.encode("hello")
        #expect(tokenizer.decode([-5] + ids + [1_000_000]) == "hello")
    }

    @Test func longWordsAreFast() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("llama2")
        let word = String(repeating: "ab", count: 20_000)
        let ids = tokenizer.encode(word, addSpecialTokens: false)
        #expect(!ids.isEmpty)
        #expect(tokenizer.decode(ids) == word)
    }
}
