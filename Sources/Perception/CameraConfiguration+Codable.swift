import RobotCore

/// Camera configurations in robot configuration files, e.g.
///
/// ```json
/// {"source": {"device": "/dev/v4l/by-id/usb-046d_C920-video-index0"},
///  "width": 640, "height": 480, "fps": 30, "rotation": 180}
/// ```
///
/// Every key but `source` may be left out and takes the default of
/// ``CameraConfiguration/init(source:width:height:fps:fourcc:colorOrder:rotation:warmupFrames:loop:paced:openTimeout:readTimeout:)``;
/// `rotation` is in degrees clockwise.
extension CameraConfiguration: Codable {
    private enum CodingKeys: String, CodingKey {
        case source, width, height, fps, fourcc, colorOrder = "color_order", rotation
        case warmupFrames = "warmup_frames", loop, paced, openTimeout = "open_timeout", readTimeout = "read_timeout"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = CameraConfiguration(source: try c.decode(CameraSource.self, forKey: .source))
        let degrees = try c.decodeIfPresent(Int.self, forKey: .rotation) ?? 0
        guard let rotation = CameraRotation(degrees: degrees) else {
            throw DecodingError.dataCorruptedError(forKey: .rotation, in: c,
                                                   debugDescription: "rotation \(degrees) must be 0, 90, 180 or 270")
        }
        self.init(source: defaults.source,
                  width: try c.decodeIfPresent(Int.self, forKey: .width),
                  height: try c.decodeIfPresent(Int.self, forKey: .height),
                  fps: try c.decodeIfPresent(Double.self, forKey: .fps),
                  fourcc: c.contains(.fourcc) ? try c.decodeIfPresent(String.self, forKey: .fourcc) : defaults.fourcc,
                  colorOrder: try c.decodeIfPresent(Image.PixelFormat.self, forKey: .colorOrder) ?? defaults.colorOrder,
                  rotation: rotation,
                  warmupFrames: try c.decodeIfPresent(Int.self, forKey: .warmupFrames) ?? defaults.warmupFrames,
                  loop: try c.decodeIfPresent(Bool.self, forKey: .loop) ?? defaults.loop,
                  paced: try c.decodeIfPresent(Bool.self, forKey: .paced) ?? defaults.paced,
                  openTimeout: try c.decodeIfPresent(Double.self, forKey: .openTimeout) ?? defaults.openTimeout,
                  readTimeout: try c.decodeIfPresent(Double.self, forKey: .readTimeout) ?? defaults.readTimeout)
        do {
            try validate()
        } catch let error as CameraError {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(source, forKey: .source)
        try c.encodeIfPresent(width, forKey: .width)
        try c.encodeIfPresent(height, forKey: .height)
        try c.encodeIfPresent(fps, forKey: .fps)
        try c.encode(fourcc, forKey: .fourcc)
        try c.encode(colorOrder, forKey: .colorOrder)
        try c.encode(rotation.rawValue * 90, forKey: .rotation)
        try c.encode(warmupFrames, forKey: .warmupFrames)
        try c.encode(loop, forKey: .loop)
        try c.encode(paced, forKey: .paced)
        try c.encode(openTimeout, forKey: .openTimeout)
        try c.encode(readTimeout, forKey: .readTimeout)
    }
}

/// A source as a one-key object: `{"index": 0}`, `{"device": "/dev/video2"}`,
/// `{"file": "clip.avi"}`, `{"folder": "frames/"}` or `{"stream": "rtsp://..."}`.
extension CameraSource: Codable {
    private enum CodingKeys: String, CodingKey {
        case index, device, file, folder, stream
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard c.allKeys.count == 1, let key = c.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "a camera source has exactly one of index, device, file, folder, stream"))
        }
        switch key {
        case .index: self = .index(try c.decode(Int.self, forKey: .index))
        case .device: self = .device(try c.decode(String.self, forKey: .device))
        case .file: self = .videoFile(try c.decode(String.self, forKey: .file))
        case .folder: self = .imageFolder(try c.decode(String.self, forKey: .folder))
        case .stream: self = .stream(try c.decode(String.self, forKey: .stream))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case let .index(index): try c.encode(index, forKey: .index)
        case let .device(path): try c.encode(path, forKey: .device)
        case let .videoFile(path): try c.encode(path, forKey: .file)
        case let .imageFolder(path): try c.encode(path, forKey: .folder)
        case let .stream(url): try c.encode(url, forKey: .stream)
        }
    }
}
