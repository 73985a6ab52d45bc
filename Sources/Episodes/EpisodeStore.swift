import Foundation

/// The episodes in a folder, with their summaries.
///
/// ```swift
/// for entry in try EpisodeStore(directory: URL(fileURLWithPath: "episodes")).list() {
///     print(entry.name, entry.summary?.steps ?? 0, entry.problem ?? "")
/// }
/// ```
public struct EpisodeStore: Sendable {
    /// One episode folder in a listing.
    public struct Entry: Sendable {
        /// The episode folder.
        public var url: URL
        /// The folder's name.
        public var name: String { url.lastPathComponent }
        /// `meta.json`, nil when it could not be read (see `problem`).
        public var metadata: EpisodeMetadata?
        /// `end.json`, or a summary computed from the steps of an unfinished episode.
        public var summary: EpisodeSummary?
        /// Finished, recording or unfinished.
        public var status: EpisodeReader.Status?
        /// What a crash cut off, if anything.
        public var tornTails: [TornTail]
        /// Why the episode cannot be read, nil when it can.
        public var problem: EpisodeError?
    }

    /// The folder that holds episode folders.
    public let directory: URL

    /// A store over `directory`.
    public init(directory: URL) { self.directory = directory }

    /// Whether `url` looks like an episode folder (has `meta.json` or `steps.log`).
    public static func isEpisode(_ url: URL) -> Bool {
        let fm = FileManager.default
        return fm.fileExists(atPath: url.appendingPathComponent(EpisodeFiles.metadata).path)
            || fm.fileExists(atPath: url.appendingPathComponent(EpisodeFiles.steps).path)
    }

    /// The episode folders directly inside the store's folder, oldest first (by start
    /// time, then name). Unreadable episodes are listed with their `problem`.
    /// - Throws: ``EpisodeError/system(file:operation:errno:)`` when the folder cannot be read.
    public func list() throws -> [Entry] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory)
            throw EpisodeError.system(file: directory.path, operation: "list",
                                      errno: !exists ? ENOENT : !isDirectory.boolValue ? ENOTDIR : EACCES)
        }
        var entries: [Entry] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            let url = directory.appendingPathComponent(name)
            guard Self.isEpisode(url) else { continue }
            entries.append(Self.entry(url))
        }
        return entries.sorted {
            switch ($0.metadata?.startTime, $1.metadata?.startTime) {
            case let (a?, b?) where a != b: return a < b
            default: return $0.name < $1.name
            }
        }
    }

    /// Reads one episode's listing entry.
    public static func entry(_ url: URL) -> Entry {
        do {
            let reader = try EpisodeReader(url: url)
            return Entry(url: url, metadata: reader.metadata, summary: try reader.summary(), status: reader.status,
                         tornTails: reader.tornTails, problem: nil)
        } catch let error as EpisodeError {
            let metadata = try? EpisodeReader.readMetadata(url.appendingPathComponent(EpisodeFiles.metadata).path)
            return Entry(url: url, metadata: metadata, summary: nil, status: nil, tornTails: [], problem: error)
        } catch {
            return Entry(url: url, metadata: nil, summary: nil, status: nil, tornTails: [],
                         problem: .invalidMetadata(file: url.path, reason: "\(error)"))
        }
    }
}
