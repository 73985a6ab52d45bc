import Foundation

/// A file descriptor with the few calls the episode files need, each checked, with
/// EINTR retried and failures thrown as ``EpisodeError/system(file:operation:errno:)``.
struct SystemFile {
    let fd: Int32
    let path: String

    /// Runs `body` until it stops failing with EINTR; -1 throws with `errno`.
    @discardableResult
    static func valueOrErrno<T: BinaryInteger>(_ path: String, _ operation: String, _ body: () -> T) throws -> T {
        while true {
            let result = body()
            if result != -1 { return result }
            if errno == EINTR { continue }
            throw EpisodeError.system(file: path, operation: operation, errno: errno)
        }
    }

    /// Opens `path` with `flags` (O_CLOEXEC is added).
    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws -> SystemFile {
        let fd = try valueOrErrno(path, "open") { Glibc.open(path, flags | O_CLOEXEC, mode) }
        return SystemFile(fd: fd, path: path)
    }

    /// Writes all of `bytes`, continuing after short writes.
    func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = try Self.valueOrErrno(path, "write") {
                Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            }
            done += n
        }
    }

    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    func read(count: Int, at offset: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        try out.withUnsafeMutableBytes { buffer in
            while done < count {
                let n = try Self.valueOrErrno(path, "read") {
                    pread(fd, buffer.baseAddress! + done, count - done, off_t(offset + done))
                }
                if n == 0 { break }
                done += n
            }
        }
        if done < count { out.removeLast(count - done) }
        return out
    }

    /// The file's size in bytes.
    func size() throws -> Int {
        var st = stat()
        try Self.valueOrErrno(path, "fstat") { fstat(fd, &st) }
        return Int(st.st_size)
    }

    /// Flushes the file's data (and the size, when it changed) to the disk.
    /// The corresponding C call is `fdatasync`.
    func syncData() throws { try Self.valueOrErrno(path, "fdatasync") { fdatasync(fd) } }

    /// Cuts the file to `size` bytes. The corresponding C call is `ftruncate`.
    func truncate(to size: Int) throws { try Self.valueOrErrno(path, "ftruncate") { ftruncate(fd, off_t(size)) } }

    /// Closes the descriptor (errors are ignored: the data was synced or is best-effort).
    func close() { _ = Glibc.close(fd) }

    /// Writes `bytes` to `path` atomically: a temporary file in the same folder, fsync,
    /// rename over `path`, fsync of the folder. A crash leaves either the old file (or
    /// none) or the new one, never a part.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".tmp"
        let file = try open(temporary, O_WRONLY | O_CREAT | O_TRUNC)
        do {
            try bytes.withUnsafeBytes { try file.writeAll($0) }
            try valueOrErrno(temporary, "fsync") { fsync(file.fd) }
            file.close()
        } catch {
            file.close()
            unlink(temporary)
            throw error
        }
        try valueOrErrno(path, "rename") { rename(temporary, path) }
        try syncDirectory(of: path)
    }

    /// Makes a rename or a new file in `path`'s folder durable.
    static func syncDirectory(of path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        let dir = try open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY)
        defer { dir.close() }
        try valueOrErrno(folder, "fsync") { fsync(dir.fd) }
    }
}
