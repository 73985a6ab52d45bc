import Foundation
import Testing
@testable import Tokenizers

/// BOS/EOS discovery, special tokens and the pieces the parity tests exercise only indirectly.
@Suite("Tokenizer behaviour")
struct TokenizerBehaviourTests {
    @Test func llama2BOSAndEOSComeFromTokenizerConfig() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("llama2")
        #expect(tokenizer.bosTokenID == 1)
        #expect(tokenizer.eosTokenID == 2)
        #expect(tokenizer.token(for: 3) == "<0x00>")
        #expect(tokenizer.isSpecialToken(1))
        #expect(!tokenizer.isSpecialToken(3))
        #expect(tokenizer.encode("hi").first == 1)
        #expect(tokenizer.encode("hi", addSpecialTokens: false).first != 1)
    }

    @Test func bosAndEOSFallBackToThePostProcessorTemplate() throws {
        let roberta = try TokenizerFixtures.tokenizer("roberta")
        #expect(roberta.bosTokenID == roberta.id(for: "<s>"))
        #expect(roberta.eosTokenID == roberta.id(for: "</s>"))
        let llama3 = try TokenizerFixtures.tokenizer("llama3")
        #expect(llama3.bosTokenID == llama3.id(for: "<|begin_of_text|>"))
        #expect(llama3.eosTokenID == nil)
        let gpt2 = try TokenizerFixtures.tokenizer("gpt2")
        #expect(gpt2.bosTokenID == nil)
        #expect(gpt2.eosTokenID == nil)
    }

    @Test func tokenizerJSONAloneLoads() throws {
        let url = TokenizerFixtures.directory("llama2").appendingPathComponent("tokenizer.json")
        let tokenizer = try Tokenizer(tokenizerJSON: url)
        #expect(tokenizer.bosTokenID == 1)  // from the template
        #expect(tokenizer.eosTokenID == nil)
    }

    @Test func openVLAPromptRoundTrips() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("llama2")
        let prompt = "In: What action should the robot take to pick up the red block?\nOut:"
        let ids = tokenizer.encode(prompt)
        #expect(tokenizer.decode(ids, skipSpecialTokens: true) == prompt)
    }

    @Test func onigurumaWhitespaceIsRewrittenForICU() {
        #expect(Pattern.icuPattern(fromOniguruma: #"\s+(?!\S)"#) == #"\p{White_Space}+(?!\P{White_Space})"#)
        #expect(Pattern.icuPattern(fromOniguruma: #"[^\s\p{L}]\\s"#) == #"[^\p{White_Space}\p{L}]\\s"#)
    }

    @Test(arguments: [
        (SplitBehavior.isolated, ["the", "-", "final", "-", "-", "countdown"]),
        (.removed, ["the", "final", "countdown"]),
        (.mergedWithPrevious, ["the-", "final-", "-", "countdown"]),
        (.mergedWithNext, ["the", "-final", "-", "-countdown"]),
        (.contiguous, ["the", "-", "final", "--", "countdown"]),
    ])
    func splitBehaviours(behavior: SplitBehavior, expected: [String]) {
        let text = "the-final--countdown"
        let pieces = splitRanges(text, by: .literal(["-"]), behavior: behavior).map { String(text.unicodeScalars[$0]) }
        #expect(pieces == expected)
    }

    /// Regex matches may end inside a grapheme cluster (before a combining mark or a ZWJ).
    @Test func regexSplitsInsideGraphemeClusters() throws {
        let pattern = try Pattern(regex: #"\p{L}+|[^\p{L}\s]+"#, json: JSONNode(value: .null, path: "", file: ""))
        let text = "cafe\u{301} 👨\u{200D}👩"
        let pieces = splitRanges(text, by: pattern, behavior: .isolated).map { String(text.unicodeScalars[$0]) }
        #expect(pieces == ["cafe", "\u{301}", " ", "👨\u{200D}👩"])
        let kept = splitRanges(text, by: pattern, behavior: .removed, invert: true).map { String(text.unicodeScalars[$0]) }
        #expect(kept == ["cafe", "\u{301}", "👨\u{200D}👩"])
    }

    @Test func byteLevelTableIsGPT2s() {
        #expect(ByteLevel.encode(" \n!é") == "ĠĊ!Ã©")
        #expect(ByteLevel.decode("ĠĊ!Ã©") == Array(" \n!é".utf8))
        #expect(ByteLevel.decode("\u{4E00}") == nil)
    }
}
