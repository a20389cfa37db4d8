import Foundation

/// Read-only memory mapping of a whole file, exposed as `Data` that unmaps when released.
/// Opening a 1 GB file costs one `mmap`; pages are read only when touched.
enum MappedFile {
    /// Maps the file at `path`. An empty file gives empty `Data` (mmap of 0 bytes is an error).
    static func map(_ path: String) throws -> Data {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw SafetensorsError.unreadable(file: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw SafetensorsError.unreadable(file: path, reason: String(cString: strerror(errno))) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw SafetensorsError.unreadable(file: path, reason: "not a regular file") }
        let size = Int(st.st_size)
        if size == 0 { return Data() }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw SafetensorsError.unreadable(file: path, reason: "mmap: \(String(cString: strerror(errno)))")
        }
        return Data(bytesNoCopy: p, count: size, deallocator: .custom { ptr, n in munmap(ptr, n) })
    }
}
