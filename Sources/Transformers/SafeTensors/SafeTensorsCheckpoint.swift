import Foundation
import Tensors

/// The safetensors weights of a Hugging Face model folder, single-file or sharded.
///
/// A folder holds either `model.safetensors`, or shards listed by
/// `model.safetensors.index.json` (`{"weight_map": {tensor: shard file}}`), or other
/// `*.safetensors` files, which are all opened. Tensors are looked up by name across
/// shards; ``unusedNames(after:)`` reports what a loader did not consume.
public final class SafeTensorsCheckpoint: @unchecked Sendable {
    /// The folder.
    public let directory: URL
    /// The open files.
    public let files: [SafeTensorsFile]
    private var location: [String: SafeTensorsFile] = [:]

    /// Opens the weights in a model folder.
    /// - Throws: ``SafeTensorsError`` if there are no weights or any file is malformed.
    public init(directory: URL) throws {
        self.directory = directory
        let fm = FileManager.default
        let index = directory.appendingPathComponent("model.safetensors.index.json")
        var files: [SafeTensorsFile] = []
        if fm.fileExists(atPath: index.path) {
            let data: Data
            do { data = try Data(contentsOf: index) } catch {
                throw SafeTensorsError.cannotOpen(file: index.path, reason: error.localizedDescription)
            }
            guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw SafeTensorsError.invalidIndex(file: index.path, detail: "not a JSON object")
            }
            guard let map = obj["weight_map"] as? [String: String] else {
                throw SafeTensorsError.invalidIndex(file: index.path, detail: "missing \"weight_map\" of tensor name to shard file")
            }
            var byShard: [String: SafeTensorsFile] = [:]
            for shard in Set(map.values).sorted() {
                guard !shard.contains("/") else {
                    throw SafeTensorsError.invalidIndex(file: index.path, detail: "shard name '\(shard)' must be a file in the same folder")
                }
                let f = try SafeTensorsFile(url: directory.appendingPathComponent(shard))
                byShard[shard] = f
                files.append(f)
            }
            for (name, shard) in map {
                guard let f = byShard[shard], f.tensors[name] != nil else {
                    throw SafeTensorsError.missingTensor(name: name, file: directory.appendingPathComponent(shard).path)
                }
                location[name] = f
            }
        } else {
            let single = directory.appendingPathComponent("model.safetensors")
            var urls: [URL] = []
            if fm.fileExists(atPath: single.path) {
                urls = [single]
            } else {
                let listed = (try? fm.contentsOfDirectory(atPath: directory.path)) ?? []
                urls = listed.filter { $0.hasSuffix(".safetensors") }.sorted().map { directory.appendingPathComponent($0) }
            }
            guard !urls.isEmpty else {
                throw SafeTensorsError.cannotOpen(file: directory.path, reason: "no model.safetensors, model.safetensors.index.json or *.safetensors file in this folder")
            }
            for u in urls {
                let f = try SafeTensorsFile(url: u)
                files.append(f)
                for name in f.tensors.keys where location[name] == nil { location[name] = f }
            }
        }
        self.files = files
    }

    /// Every tensor name, sorted.
    public var names: [String] { location.keys.sorted() }

    /// Whether the checkpoint has a tensor.
    public func contains(_ name: String) -> Bool { location[name] != nil }

    /// The entry for a tensor, if present.
    public func info(_ name: String) -> SafeTensorInfo? { location[name]?.tensors[name] }

    /// The file a tensor lives in (for error messages).
    public func file(of name: String) -> String { location[name]?.path ?? directory.path }

    /// Reads a floating-point tensor as Float32, checking its shape if `shape` is given.
    public func floatTensor(_ name: String, shape: [Int]? = nil) throws -> Tensor {
        guard let f = location[name] else { throw SafeTensorsError.missingTensor(name: name, file: directory.path) }
        return try f.floatTensor(name, shape: shape)
    }

    /// Copies a floating-point tensor (converted to Float32) into `destination`, checking its shape.
    public func copyFloats(_ name: String, shape: [Int], into destination: UnsafeMutablePointer<Float>) throws {
        guard let f = location[name] else { throw SafeTensorsError.missingTensor(name: name, file: directory.path) }
        let info = f.tensors[name]!
        guard info.shape == shape else {
            throw SafeTensorsError.unexpectedShape(file: f.path, tensor: name, expected: shape, actual: info.shape)
        }
        try f.copyFloats(name, into: destination)
    }

    /// The names in the checkpoint that are not in `used`.
    public func unusedNames(after used: Set<String>) -> [String] { names.filter { !used.contains($0) } }
}
