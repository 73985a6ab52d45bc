import Foundation
import Testing
import TestSupport
@testable import Transformers

@Suite("safetensors reading, writing and malformed files")
struct SafeTensorsTests {
    /// Builds a file from a raw header string and data bytes.
    func file(header: String, data: [UInt8] = [], lengthOverride: UInt64? = nil) throws -> URL {
        let dir = try TestSupport.temporaryDirectory("st")
        let url = dir.appendingPathComponent("model.safetensors")
        var bytes = Data()
        var n = (lengthOverride ?? UInt64(header.utf8.count)).littleEndian
        withUnsafeBytes(of: &n) { bytes.append(contentsOf: $0) }
        bytes.append(header.data(using: .utf8)!)
        bytes.append(contentsOf: data)
        try bytes.write(to: url)
        return url
    }

    @Test("round trip: F32, I64, metadata")
    func roundTrip() throws {
        var w = SafeTensorsWriter()
        w.add("a", shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])
        w.add("ids", shape: [3], int64s: [7, -8, 9])
        w.metadata = ["format": "pt"]
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("x.safetensors")
        try w.write(to: url)
        let f = try SafeTensorsFile(url: url)
        #expect(try f.floatTensor("a").scalars == [1, 2, 3, 4, 5, 6])
        #expect(try f.integerValues("ids") == [7, -8, 9])
        #expect(f.metadata["format"] == "pt")
        #expect(f.names == ["a", "ids"])
    }

    @Test("F16, BF16 and F64 convert to Float32 exactly")
    func conversions() throws {
        var w = SafeTensorsWriter()
        let values: [Float] = [1, -2.5, 0.099975586, 65504]
        let f16 = values.map { Float16($0).bitPattern }
        w.add("h", dtype: .f16, shape: [4], bytes: f16.withUnsafeBytes { Data($0) })
        let bf16 = values.map { UInt16($0.bitPattern >> 16) }
        w.add("b", dtype: .bf16, shape: [4], bytes: bf16.withUnsafeBytes { Data($0) })
        let f64 = values.map(Double.init)
        w.add("d", dtype: .f64, shape: [2, 2], bytes: f64.withUnsafeBytes { Data($0) })
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("x.safetensors")
        try w.write(to: url)
        let f = try SafeTensorsFile(url: url)
        #expect(try f.floatTensor("h").scalars == values.map { Float(Float16($0)) })
        #expect(try f.floatTensor("b").scalars == values.map { Float(bitPattern: $0.bitPattern & 0xFFFF_0000) })
        #expect(try f.floatTensor("d", shape: [2, 2]).scalars == values)
        #expect(throws: SafeTensorsError.unexpectedShape(file: url.path, tensor: "d", expected: [4], actual: [2, 2])) {
            try f.floatTensor("d", shape: [4])
        }
    }

    @Test("a file shorter than 8 bytes is truncated")
    func tooShort() throws {
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("x.safetensors")
        try Data([1, 2, 3]).write(to: url)
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(url: url) }
        do { _ = try SafeTensorsFile(url: url) } catch let e as SafeTensorsError {
            guard case let .truncated(file, _) = e else { Issue.record("wrong error \(e)"); return }
            #expect(file == url.path)
        }
    }

    @Test("a header length past the end of the file is truncated")
    func headerPastEnd() throws {
        let url = try file(header: "{}", lengthOverride: 1000)
        do { _ = try SafeTensorsFile(url: url); Issue.record("no error") } catch let e as SafeTensorsError {
            guard case .truncated = e else { Issue.record("wrong error \(e)"); return }
            #expect(e.description.contains(url.path))
        }
    }

    @Test("a header that is not JSON", arguments: ["{not json", "[1,2]", "\"text\""])
    func notJSON(_ header: String) throws {
        let url = try file(header: header)
        do { _ = try SafeTensorsFile(url: url); Issue.record("no error") } catch let e as SafeTensorsError {
            guard case .headerNotJSON(let f, _) = e else { Issue.record("wrong error \(e)"); return }
            #expect(f == url.path)
        }
    }

    @Test("offsets outside the data section name the tensor")
    func offsetsOutside() throws {
        let url = try file(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: [0, 0, 0, 0])
        #expect(throws: SafeTensorsError.offsetsOutOfRange(file: url.path, tensor: "w", begin: 0, end: 8, dataSize: 4)) {
            try SafeTensorsFile(url: url)
        }
    }

    @Test("a shape that does not match its byte count names the tensor")
    func shapeMismatch() throws {
        let url = try file(header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8))
        #expect(throws: SafeTensorsError.shapeMismatch(file: url.path, tensor: "w", shape: [3], dtype: "F32", bytes: 8)) {
            try SafeTensorsFile(url: url)
        }
    }

    @Test("malformed entries and unknown dtypes", arguments: [
        #"{"w":{"shape":[1],"data_offsets":[0,4]}}"#,
        #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#,
        #"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#,
        #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#,
        #"{"w":{"dtype":"Q4","shape":[1],"data_offsets":[0,4]}}"#,
        #"{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}"#,
        #"{"w":5}"#,
    ])
    func malformed(_ header: String) throws {
        let url = try file(header: header, data: [0, 0, 0, 0])
        do { _ = try SafeTensorsFile(url: url); Issue.record("no error for \(header)") } catch let e as SafeTensorsError {
            #expect(e.description.contains(url.path))
            #expect(e.description.contains("'w'"))
        }
    }

    @Test("a missing tensor names the tensor and the folder")
    func missingTensor() throws {
        var w = SafeTensorsWriter()
        w.add("a", shape: [1], floats: [1])
        let dir = try TestSupport.temporaryDirectory()
        try w.write(to: dir.appendingPathComponent("model.safetensors"))
        let ckpt = try SafeTensorsCheckpoint(directory: dir)
        #expect(throws: SafeTensorsError.missingTensor(name: "b", file: dir.path)) { try ckpt.floatTensor("b") }
    }

    @Test("a model folder missing a layer tensor fails with its name")
    func modelMissingTensor() throws {
        let src = TestSupport.fixture("lm/llama-mha")
        let dir = try TestSupport.temporaryDirectory()
        try FileManager.default.copyItem(at: src.appendingPathComponent("config.json"), to: dir.appendingPathComponent("config.json"))
        let f = try SafeTensorsFile(url: src.appendingPathComponent("model.safetensors"))
        var w = SafeTensorsWriter()
        for name in f.names where name != "model.layers.1.mlp.up_proj.weight" {
            w.add(name, try f.floatTensor(name))
        }
        try w.write(to: dir.appendingPathComponent("model.safetensors"))
        do { _ = try LlamaModel(directory: dir); Issue.record("no error") } catch let e as SafeTensorsError {
            #expect(e == .missingTensor(name: "model.layers.1.mlp.up_proj.weight", file: dir.path))
        }
    }

    @Test("an extra tensor is reported as unused, not ignored")
    func modelExtraTensor() throws {
        let src = TestSupport.fixture("lm/llama-mha")
        let dir = try TestSupport.temporaryDirectory()
        try FileManager.default.copyItem(at: src.appendingPathComponent("config.json"), to: dir.appendingPathComponent("config.json"))
        let f = try SafeTensorsFile(url: src.appendingPathComponent("model.safetensors"))
        var w = SafeTensorsWriter()
        for name in f.names { w.add(name, try f.floatTensor(name)) }
        w.add("model.layers.2.self_attn.q_proj.weight", shape: [1], floats: [0])
        try w.write(to: dir.appendingPathComponent("model.safetensors"))
        do { _ = try LlamaModel(directory: dir); Issue.record("no error") } catch let e as SafeTensorsError {
            guard case let .unusedTensors(_, names) = e else { Issue.record("wrong error \(e)"); return }
            #expect(names == ["model.layers.2.self_attn.q_proj.weight"])
        }
    }

    @Test("a truncated weights file in a real model folder is an error, not a crash")
    func truncatedModel() throws {
        let src = TestSupport.fixture("lm/llama-mha")
        let dir = try TestSupport.temporaryDirectory()
        try FileManager.default.copyItem(at: src.appendingPathComponent("config.json"), to: dir.appendingPathComponent("config.json"))
        let data = try Data(contentsOf: src.appendingPathComponent("model.safetensors"))
        try data.prefix(data.count / 2).write(to: dir.appendingPathComponent("model.safetensors"))
        do { _ = try LlamaModel(directory: dir); Issue.record("no error") } catch let e as SafeTensorsError {
            guard case .offsetsOutOfRange = e else { Issue.record("wrong error \(e)"); return }
            #expect(e.description.contains(dir.path))
        }
    }

    @Test("a sharded index naming a missing shard")
    func badIndex() throws {
        let dir = try TestSupport.temporaryDirectory()
        try #"{"weight_map":{"a":"model-00001-of-00002.safetensors"}}"#.write(
            to: dir.appendingPathComponent("model.safetensors.index.json"), atomically: true, encoding: .utf8)
        do { _ = try SafeTensorsCheckpoint(directory: dir); Issue.record("no error") } catch let e as SafeTensorsError {
            guard case let .cannotOpen(file, _) = e else { Issue.record("wrong error \(e)"); return }
            #expect(file.hasSuffix("model-00001-of-00002.safetensors"))
        }
        try #"{"metadata":{}}"#.write(to: dir.appendingPathComponent("model.safetensors.index.json"), atomically: true, encoding: .utf8)
        #expect(throws: SafeTensorsError.self) { try SafeTensorsCheckpoint(directory: dir) }
    }
}
