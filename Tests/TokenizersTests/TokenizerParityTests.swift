import Foundation
import Testing
@testable import Tokenizers

/// Every reference encoding made by the `tokenizers` library must be reproduced exactly.
@Suite("Parity with Hugging Face tokenizers")
struct TokenizerParityTests {
    @Test("encode with special tokens", arguments: TokenizerFixtures.names)
    func encodeWithSpecialTokens(fixture: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(fixture)
        for testCase in try TokenizerFixtures.cases(fixture) {
            #expect(tokenizer.encode(testCase.text) == testCase.ids, "\(fixture): \(testCase.text.debugDescription)")
        }
    }

    @Test("encode without special tokens", arguments: TokenizerFixtures.names)
    func encodeWithoutSpecialTokens(fixture: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(fixture)
        for testCase in try TokenizerFixtures.cases(fixture) {
            #expect(tokenizer.encode(testCase.text, addSpecialTokens: false) == testCase.idsNoSpecial,
                    "\(fixture): \(testCase.text.debugDescription)")
        }
    }

    @Test("decode", arguments: TokenizerFixtures.names)
    func decode(fixture: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(fixture)
        for testCase in try TokenizerFixtures.cases(fixture) {
            #expect(tokenizer.decode(testCase.ids) == testCase.decoded, "\(fixture): \(testCase.text.debugDescription)")
            #expect(tokenizer.decode(testCase.ids, skipSpecialTokens: true) == testCase.decodedSkipSpecial,
                    "\(fixture): \(testCase.text.debugDescription)")
        }
    }

    @Test("vocabulary sizes and lookups", arguments: TokenizerFixtures.names)
    func vocabulary(fixture: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(fixture)
        let info = try TokenizerFixtures.info(fixture)
        #expect(tokenizer.vocabularySize == info.vocabSize)
        #expect(tokenizer.vocabularySizeIncludingAddedTokens == info.vocabSizeWithAddedTokens)
        for pair in info.idToToken {
            #expect(tokenizer.token(for: pair.id) == pair.token)
            #expect(tokenizer.id(for: pair.token) == pair.id)
        }
        for id in info.missingIDs {
            #expect(tokenizer.token(for: id) == nil)
        }
        #expect(tokenizer.id(for: "no such token in any vocabulary \u{1F980}") == nil)
    }
}
