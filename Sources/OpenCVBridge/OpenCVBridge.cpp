// The C++ side of the C ABI in include/OpenCVBridge.h (see there for why it exists).
//
// Rules kept by every function below:
// - Nothing throws out: each body runs inside `guarded`, which turns `cv::Exception`,
//   `std::exception` and anything else into a status and a message.
// - Caller buffers are wrapped in `cv::Mat` headers (no copy). OpenCV's `create()` keeps
//   a matrix's memory when size and type already match, so outputs land in the caller's
//   buffer; when OpenCV allocated anyway, the result is copied over once.

#include "OpenCVBridge.h"

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <linux/videodev2.h>
#include <sys/ioctl.h>
#include <unistd.h>

// MARK: - Error plumbing

namespace {

OpenCVBridge_Status fail(OpenCVBridge_Error *error, OpenCVBridge_Status status, const char *message,
                         int systemErrno = 0) {
    if (error != nullptr) {
        error->systemErrno = systemErrno;
        std::snprintf(error->message, sizeof(error->message), "%s", message ? message : "");
    }
    return status;
}

OpenCVBridge_Status fail(OpenCVBridge_Error *error, OpenCVBridge_Status status, const std::string &message,
                         int systemErrno = 0) {
    return fail(error, status, message.c_str(), systemErrno);
}

OpenCVBridge_Status ok(OpenCVBridge_Error *error) {
    if (error != nullptr) {
        error->systemErrno = 0;
        error->message[0] = '\0';
    }
    return OpenCVBridge_OK;
}

/// Runs `body`, converting any C++ exception into `OpenCVBridge_Exception`.
template <typename Body>
OpenCVBridge_Status guarded(OpenCVBridge_Error *error, Body body) {
    try {
        return body();
    } catch (const cv::Exception &e) {
        // e.msg is the short message; what() adds the OpenCV source location.
        std::string text = e.func.empty() ? e.msg : e.func + ": " + e.msg;
        return fail(error, OpenCVBridge_Exception, text);
    } catch (const std::exception &e) {
        return fail(error, OpenCVBridge_Exception, e.what());
    } catch (...) {
        return fail(error, OpenCVBridge_Exception, "unknown C++ exception");
    }
}

bool validShape(int32_t width, int32_t height, int32_t channels) {
    return width > 0 && height > 0 && (channels == 1 || channels == 3 || channels == 4);
}

/// A matrix header over caller memory (no copy).
cv::Mat wrap(const uint8_t *pixels, int32_t width, int32_t height, int32_t channels) {
    return cv::Mat(height, width, CV_8UC(channels), const_cast<uint8_t *>(pixels));
}

int apiPreference(OpenCVBridge_Backend backend) {
    switch (backend) {
    case OpenCVBridge_BackendV4L2: return cv::CAP_V4L2;
    case OpenCVBridge_BackendFFmpeg: return cv::CAP_FFMPEG;
    case OpenCVBridge_BackendGStreamer: return cv::CAP_GSTREAMER;
    case OpenCVBridge_BackendOpenCVMJPEG: return cv::CAP_OPENCV_MJPEG;
    case OpenCVBridge_BackendAny:
    default: return cv::CAP_ANY;
    }
}

int propertyID(OpenCVBridge_Property property) {
    switch (property) {
    case OpenCVBridge_PropertyWidth: return cv::CAP_PROP_FRAME_WIDTH;
    case OpenCVBridge_PropertyHeight: return cv::CAP_PROP_FRAME_HEIGHT;
    case OpenCVBridge_PropertyFPS: return cv::CAP_PROP_FPS;
    case OpenCVBridge_PropertyFourCC: return cv::CAP_PROP_FOURCC;
    case OpenCVBridge_PropertyFrameCount: return cv::CAP_PROP_FRAME_COUNT;
    case OpenCVBridge_PropertyPosFrames: return cv::CAP_PROP_POS_FRAMES;
    case OpenCVBridge_PropertyPosMsec: return cv::CAP_PROP_POS_MSEC;
    case OpenCVBridge_PropertyBufferSize: return cv::CAP_PROP_BUFFERSIZE;
    case OpenCVBridge_PropertyBackend: return cv::CAP_PROP_BACKEND;
    }
    return -1;
}

void fillInfo(OpenCVBridge_ImageInfo *info, const cv::Mat &mat, bool copied) {
    if (info == nullptr) return;
    info->width = mat.cols;
    info->height = mat.rows;
    info->channels = mat.channels();
    info->copied = copied ? 1 : 0;
}

/// Copies `mat` (8-bit, any step) into a packed caller buffer.
void copyPacked(const cv::Mat &mat, uint8_t *buffer) {
    const size_t rowBytes = size_t(mat.cols) * mat.elemSize();
    if (mat.isContinuous()) {
        std::memcpy(buffer, mat.data, rowBytes * size_t(mat.rows));
        return;
    }
    for (int y = 0; y < mat.rows; ++y) std::memcpy(buffer + rowBytes * size_t(y), mat.ptr(y), rowBytes);
}

size_t packedBytes(const cv::Mat &mat) { return size_t(mat.cols) * size_t(mat.rows) * mat.elemSize(); }

/// After an OpenCV call that was asked to write into `target` (a header over `buffer`):
/// copy the result over when OpenCV had to allocate instead.
OpenCVBridge_Status settle(const cv::Mat &result, const uint8_t *buffer, size_t capacity,
                           OpenCVBridge_ImageInfo *info, OpenCVBridge_Error *error) {
    if (result.empty()) return fail(error, OpenCVBridge_Failed, "OpenCV produced an empty image");
    if (result.depth() != CV_8U) return fail(error, OpenCVBridge_Failed, "OpenCV produced a non-8-bit image");
    if (result.data == buffer && result.isContinuous()) {
        fillInfo(info, result, false);
        return ok(error);
    }
    fillInfo(info, result, true);
    if (packedBytes(result) > capacity) {
        return fail(error, OpenCVBridge_BufferTooSmall, "buffer too small for the decoded image");
    }
    copyPacked(result, const_cast<uint8_t *>(buffer));
    return ok(error);
}

int imreadFlags(int32_t channels) { return channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR; }

/// Lends the caller's buffer to the first matrix allocation that fits it, so a decoder
/// writes straight into caller memory; anything else goes to OpenCV's standard allocator.
///
/// This is how `cv::imdecode` can decode without a copy *and* report failure: handed a
/// matrix that already wraps the buffer, it leaves it untouched when it finds no decoder
/// (indistinguishable from success); handed an empty matrix with this allocator, it
/// either allocates (through us) or stays empty.
class CallerBufferAllocator final : public cv::MatAllocator {
public:
    CallerBufferAllocator(uint8_t *buffer, size_t capacity) : buffer_(buffer), capacity_(capacity) {}

    cv::UMatData *allocate(int dims, const int *sizes, int type, void *data, size_t *step, cv::AccessFlag flags,
                           cv::UMatUsageFlags usage) const override {
        size_t total = CV_ELEM_SIZE(type);
        for (int i = 0; i < dims; ++i) total *= size_t(sizes[i]);
        if (data != nullptr || buffer_ == nullptr || lent_ || total > capacity_) {
            return cv::Mat::getStdAllocator()->allocate(dims, sizes, type, data, step, flags, usage);
        }
        size_t stride = CV_ELEM_SIZE(type);
        for (int i = dims - 1; i >= 0; --i) {
            if (step != nullptr) step[i] = stride;
            stride *= size_t(sizes[i]);
        }
        auto *u = new cv::UMatData(this);
        u->data = u->origdata = buffer_;
        u->size = total;
        u->flags |= cv::UMatData::USER_ALLOCATED;
        lent_ = true;
        return u;
    }

    bool allocate(cv::UMatData *u, cv::AccessFlag, cv::UMatUsageFlags) const override { return u != nullptr; }

    void deallocate(cv::UMatData *u) const override {
        if (u == nullptr) return;
        if (u->origdata == buffer_) lent_ = false;
        delete u;
    }

private:
    uint8_t *buffer_;
    size_t capacity_;
    mutable bool lent_ = false;
};

OpenCVBridge_Status decodeInto(const cv::Mat &encoded, int32_t channels, uint8_t *buffer, size_t capacity,
                               OpenCVBridge_ImageInfo *info, OpenCVBridge_Error *error) {
    if (channels != 1 && channels != 3) return fail(error, OpenCVBridge_InvalidArgument, "channels must be 1 or 3");
    // Declared before the matrix, so it outlives the matrix's release.
    CallerBufferAllocator allocator(buffer, capacity);
    cv::Mat target;
    target.allocator = &allocator;
    cv::imdecode(encoded, imreadFlags(channels), &target);
    if (target.empty()) return fail(error, OpenCVBridge_Failed, "not an image OpenCV can decode (or it is damaged)");
    return settle(target, buffer, capacity, info, error);
}

int retryingIoctl(int fd, unsigned long request, void *argument) {
    int result;
    do { result = ioctl(fd, request, argument); } while (result == -1 && errno == EINTR);
    return result;
}

std::string fourccString(uint32_t code) {
    char text[5] = {char(code & 0xff), char((code >> 8) & 0xff), char((code >> 16) & 0xff), char((code >> 24) & 0xff), 0};
    return std::string(text);
}

} // namespace

// MARK: - Handles

struct OpenCVBridge_Capture {
    cv::VideoCapture capture;
    /// A frame that did not fit the caller's buffer, kept for the next retrieve.
    cv::Mat pending;
    std::string backendName;
};

struct OpenCVBridge_Writer {
    cv::VideoWriter writer;
    int width = 0, height = 0, channels = 3;
};

struct OpenCVBridge_Bytes {
    std::vector<uchar> bytes;
};

// MARK: - General

extern "C" const char *OpenCVBridge_Version(void) { return CV_VERSION; }

extern "C" void OpenCVBridge_SetLogLevel(int32_t level) {
    try {
        if (level < 0) level = 0;
        if (level > 6) level = 6;
        cv::utils::logging::setLogLevel(static_cast<cv::utils::logging::LogLevel>(level));
    } catch (...) {
    }
}

// MARK: - Capture

extern "C" OpenCVBridge_Capture *OpenCVBridge_CaptureCreate(void) {
    try {
        return new OpenCVBridge_Capture();
    } catch (...) {
        return nullptr;
    }
}

extern "C" void OpenCVBridge_CaptureDestroy(OpenCVBridge_Capture *capture) {
    if (capture == nullptr) return;
    try {
        capture->capture.release();
    } catch (...) {
    }
    delete capture;
}

extern "C" OpenCVBridge_Status OpenCVBridge_CaptureOpenIndex(OpenCVBridge_Capture *capture, int32_t index,
                                                             OpenCVBridge_Backend backend, OpenCVBridge_Error *error) {
    if (capture == nullptr) return fail(error, OpenCVBridge_InvalidArgument, "null capture");
    return guarded(error, [&] {
        capture->pending.release();
        if (!capture->capture.open(index, apiPreference(backend)) || !capture->capture.isOpened()) {
            return fail(error, OpenCVBridge_Failed, "OpenCV could not open camera " + std::to_string(index));
        }
        return ok(error);
    });
}

extern "C" OpenCVBridge_Status OpenCVBridge_CaptureOpenPath(OpenCVBridge_Capture *capture, const char *path,
                                                            OpenCVBridge_Backend backend, int32_t openTimeoutMs,
                                                            int32_t readTimeoutMs, OpenCVBridge_Error *error) {
    if (capture == nullptr || path == nullptr) return fail(error, OpenCVBridge_InvalidArgument, "null capture or path");
    return guarded(error, [&] {
        capture->pending.release();
        std::vector<int> params;
        if (openTimeoutMs > 0) params.insert(params.end(), {cv::CAP_PROP_OPEN_TIMEOUT_MSEC, int(openTimeoutMs)});
        if (readTimeoutMs > 0) params.insert(params.end(), {cv::CAP_PROP_READ_TIMEOUT_MSEC, int(readTimeoutMs)});
        bool opened = params.empty() ? capture->capture.open(path, apiPreference(backend))
                                     : capture->capture.open(path, apiPreference(backend), params);
        if (!opened || !capture->capture.isOpened()) {
            return fail(error, OpenCVBridge_Failed, std::string("OpenCV could not open ") + path);
        }
        return ok(error);
    });
}

extern "C" void OpenCVBridge_CaptureRelease(OpenCVBridge_Capture *capture) {
    if (capture == nullptr) return;
    try {
        capture->pending.release();
        capture->capture.release();
    } catch (...) {
    }
}

extern "C" OpenCVBridge_Status OpenCVBridge_CaptureSet(OpenCVBridge_Capture *capture, OpenCVBridge_Property property,
                                                       double value, OpenCVBridge_Error *error) {
    if (capture == nullptr) return fail(error, OpenCVBridge_InvalidArgument, "null capture");
    return guarded(error, [&] {
        if (!capture->capture.set(propertyID(property), value)) {
            return fail(error, OpenCVBridge_Failed, "the capture backend refused the setting");
        }
        return ok(error);
    });
}

extern "C" OpenCVBridge_Status OpenCVBridge_CaptureGet(OpenCVBridge_Capture *capture, OpenCVBridge_Property property,
                                                       double *value, OpenCVBridge_Error *error) {
    if (capture == nullptr || value == nullptr) return fail(error, OpenCVBridge_InvalidArgument, "null argument");
    return guarded(error, [&] {
        *value = capture->capture.get(propertyID(property));
        return ok(error);
    });
}

extern "C" const char *OpenCVBridge_CaptureBackendName(OpenCVBridge_Capture *capture) {
    if (capture == nullptr) return "";
    try {
        capture->backendName = capture->capture.isOpened() ? capture->capture.getBackendName() : std::string();
    } catch (...) {
        capture->backendName.clear();
    }
    return capture->backendName.c_str();
}

extern "C" OpenCVBridge_Status OpenCVBridge_CaptureGrab(OpenCVBridge_Capture *capture, OpenCVBridge_Error *error) {
    if (capture == nullptr) return fail(error, OpenCVBridge_InvalidArgument, "null capture");
    return guarded(error, [&] {
        capture->pending.release();
        if (!capture->capture.isOpened()) return fail(error, OpenCVBridge_Failed, "the capture is not open");
        if (!capture->capture.grab()) return fail(error, OpenCVBridge_EndOfStream, "no more frames");
        return ok(error);
    });
}

extern "C" OpenCVBridge_Status OpenCVBridge_CaptureRetrieve(OpenCVBridge_Capture *capture, uint8_t *buffer,
                                                            size_t capacity, OpenCVBridge_ImageInfo *info,
                                                            OpenCVBridge_Error *error) {
    if (capture == nullptr) return fail(error, OpenCVBridge_InvalidArgument, "null capture");
    return guarded(error, [&] {
        if (capture->pending.empty()) {
            // Backends deliver with copyTo/convert into the output matrix, whose create()
            // then takes the caller's buffer from the allocator: no copy on our side.
            CallerBufferAllocator allocator(buffer, capacity);
            cv::Mat target;
            target.allocator = &allocator;
            if (!capture->capture.retrieve(target) || target.empty()) {
                return fail(error, OpenCVBridge_EndOfStream, "the grabbed frame could not be decoded");
            }
            if (target.depth() != CV_8U) return fail(error, OpenCVBridge_Failed, "the capture delivers non-8-bit frames");
            if (buffer != nullptr && target.data == buffer && target.isContinuous()) {
                fillInfo(info, target, false);
                return ok(error);
            }
            // Memory from OpenCV's own allocator (or the backend's): keep it for a retry.
            capture->pending = target;
        }
        fillInfo(info, capture->pending, true);
        if (buffer == nullptr || packedBytes(capture->pending) > capacity) {
            return fail(error, OpenCVBridge_BufferTooSmall, "buffer too small for the frame");
        }
        copyPacked(capture->pending, buffer);
        capture->pending.release();
        return ok(error);
    });
}

// MARK: - Writer

extern "C" OpenCVBridge_Writer *OpenCVBridge_WriterOpen(const char *path, const char *fourcc, double fps,
                                                        int32_t width, int32_t height, int32_t isColor,
                                                        OpenCVBridge_Backend backend, OpenCVBridge_Error *error) {
    if (path == nullptr || fourcc == nullptr || std::strlen(fourcc) != 4 || width <= 0 || height <= 0 || fps <= 0) {
        fail(error, OpenCVBridge_InvalidArgument, "writer needs a path, a four-character code, fps > 0 and a size");
        return nullptr;
    }
    OpenCVBridge_Writer *result = nullptr;
    guarded(error, [&] {
        auto writer = new OpenCVBridge_Writer();
        int code = cv::VideoWriter::fourcc(fourcc[0], fourcc[1], fourcc[2], fourcc[3]);
        bool opened = writer->writer.open(path, apiPreference(backend), code, fps, cv::Size(width, height), isColor != 0);
        if (!opened || !writer->writer.isOpened()) {
            delete writer;
            return fail(error, OpenCVBridge_Failed,
                        std::string("OpenCV could not write ") + fourcc + " video to " + path);
        }
        writer->width = width;
        writer->height = height;
        writer->channels = isColor ? 3 : 1;
        result = writer;
        return ok(error);
    });
    return result;
}

extern "C" OpenCVBridge_Status OpenCVBridge_WriterWrite(OpenCVBridge_Writer *writer, const uint8_t *pixels,
                                                        int32_t width, int32_t height, int32_t channels,
                                                        OpenCVBridge_Error *error) {
    if (writer == nullptr || pixels == nullptr) return fail(error, OpenCVBridge_InvalidArgument, "null writer or pixels");
    if (width != writer->width || height != writer->height || channels != writer->channels) {
        return fail(error, OpenCVBridge_InvalidArgument, "frame shape differs from the one the writer was opened with");
    }
    return guarded(error, [&] {
        writer->writer.write(wrap(pixels, width, height, channels));
        return ok(error);
    });
}

extern "C" void OpenCVBridge_WriterDestroy(OpenCVBridge_Writer *writer) {
    if (writer == nullptr) return;
    try {
        writer->writer.release();
    } catch (...) {
    }
    delete writer;
}

// MARK: - Codecs

extern "C" const uint8_t *OpenCVBridge_BytesData(const OpenCVBridge_Bytes *bytes) {
    return bytes == nullptr ? nullptr : bytes->bytes.data();
}

extern "C" size_t OpenCVBridge_BytesCount(const OpenCVBridge_Bytes *bytes) {
    return bytes == nullptr ? 0 : bytes->bytes.size();
}

extern "C" void OpenCVBridge_BytesDestroy(OpenCVBridge_Bytes *bytes) { delete bytes; }

namespace {
std::vector<int> encodeParams(const std::string &extension, int32_t quality) {
    if (quality < 0) return {};
    std::string lower = extension;
    for (auto &c : lower) c = char(std::tolower(c));
    if (lower.find("jp") != std::string::npos) return {cv::IMWRITE_JPEG_QUALITY, int(quality)};
    if (lower.find("png") != std::string::npos) return {cv::IMWRITE_PNG_COMPRESSION, int(quality)};
    if (lower.find("webp") != std::string::npos) return {cv::IMWRITE_WEBP_QUALITY, int(quality)};
    return {};
}
} // namespace

extern "C" OpenCVBridge_Status OpenCVBridge_ImageEncode(const uint8_t *pixels, int32_t width, int32_t height,
                                                        int32_t channels, const char *extension, int32_t quality,
                                                        OpenCVBridge_Bytes **output, OpenCVBridge_Error *error) {
    if (pixels == nullptr || extension == nullptr || output == nullptr || !validShape(width, height, channels)) {
        return fail(error, OpenCVBridge_InvalidArgument, "encode needs pixels, a valid shape and an extension");
    }
    *output = nullptr;
    return guarded(error, [&] {
        auto bytes = new OpenCVBridge_Bytes();
        if (!cv::imencode(extension, wrap(pixels, width, height, channels), bytes->bytes,
                          encodeParams(extension, quality))) {
            delete bytes;
            return fail(error, OpenCVBridge_Failed, std::string("OpenCV could not encode ") + extension);
        }
        *output = bytes;
        return ok(error);
    });
}

extern "C" OpenCVBridge_Status OpenCVBridge_ImageDecode(const uint8_t *data, size_t count, int32_t channels,
                                                        uint8_t *buffer, size_t capacity, OpenCVBridge_ImageInfo *info,
                                                        OpenCVBridge_Error *error) {
    if (data == nullptr || count == 0) return fail(error, OpenCVBridge_InvalidArgument, "no bytes to decode");
    return guarded(error, [&] {
        cv::Mat encoded(1, int(count), CV_8U, const_cast<uint8_t *>(data));
        return decodeInto(encoded, channels, buffer, capacity, info, error);
    });
}

extern "C" OpenCVBridge_Status OpenCVBridge_ImageRead(const char *path, int32_t channels, uint8_t *buffer,
                                                      size_t capacity, OpenCVBridge_ImageInfo *info,
                                                      OpenCVBridge_Error *error) {
    if (path == nullptr) return fail(error, OpenCVBridge_InvalidArgument, "null path");
    return guarded(error, [&] {
        // The file's bytes go through a per-thread buffer that grows to the largest file.
        thread_local std::vector<uchar> bytes;
        std::FILE *file = std::fopen(path, "rb");
        if (file == nullptr) {
            int code = errno;
            return fail(error, OpenCVBridge_SystemError, std::string(path) + ": " + std::strerror(code), code);
        }
        bytes.clear();
        uchar chunk[65536];
        size_t n;
        while ((n = std::fread(chunk, 1, sizeof(chunk), file)) > 0) bytes.insert(bytes.end(), chunk, chunk + n);
        bool readError = std::ferror(file) != 0;
        std::fclose(file);
        if (readError) return fail(error, OpenCVBridge_SystemError, std::string(path) + ": read error", EIO);
        if (bytes.empty()) return fail(error, OpenCVBridge_Failed, std::string(path) + ": empty file");
        cv::Mat encoded(1, int(bytes.size()), CV_8U, bytes.data());
        return decodeInto(encoded, channels, buffer, capacity, info, error);
    });
}

extern "C" OpenCVBridge_Status OpenCVBridge_ImageWrite(const char *path, const uint8_t *pixels, int32_t width,
                                                       int32_t height, int32_t channels, int32_t quality,
                                                       OpenCVBridge_Error *error) {
    if (path == nullptr || pixels == nullptr || !validShape(width, height, channels)) {
        return fail(error, OpenCVBridge_InvalidArgument, "write needs a path, pixels and a valid shape");
    }
    return guarded(error, [&] {
        std::string name(path);
        auto dot = name.rfind('.');
        if (!cv::imwrite(name, wrap(pixels, width, height, channels),
                         encodeParams(dot == std::string::npos ? "" : name.substr(dot), quality))) {
            return fail(error, OpenCVBridge_Failed, name + ": OpenCV could not write this image format or file");
        }
        return ok(error);
    });
}

// MARK: - Processing

extern "C" OpenCVBridge_Status OpenCVBridge_Resize(const uint8_t *src, int32_t srcWidth, int32_t srcHeight,
                                                   int32_t channels, uint8_t *dst, int32_t dstWidth, int32_t dstHeight,
                                                   OpenCVBridge_Interpolation interpolation, OpenCVBridge_Error *error) {
    if (src == nullptr || dst == nullptr || !validShape(srcWidth, srcHeight, channels) ||
        !validShape(dstWidth, dstHeight, channels)) {
        return fail(error, OpenCVBridge_InvalidArgument, "resize needs two buffers and valid shapes");
    }
    return guarded(error, [&] {
        static const int flags[] = {cv::INTER_NEAREST, cv::INTER_LINEAR, cv::INTER_CUBIC, cv::INTER_AREA,
                                    cv::INTER_LANCZOS4};
        int flag = (interpolation >= 0 && interpolation <= 4) ? flags[interpolation] : cv::INTER_LINEAR;
        cv::Mat target = wrap(dst, dstWidth, dstHeight, channels);
        cv::resize(wrap(src, srcWidth, srcHeight, channels), target, cv::Size(dstWidth, dstHeight), 0, 0, flag);
        return settle(target, dst, size_t(dstWidth) * dstHeight * channels, nullptr, error);
    });
}

extern "C" OpenCVBridge_Status OpenCVBridge_ConvertColor(const uint8_t *src, uint8_t *dst, int32_t width,
                                                         int32_t height, OpenCVBridge_ColorConversion conversion,
                                                         OpenCVBridge_Error *error) {
    if (src == nullptr || dst == nullptr || width <= 0 || height <= 0) {
        return fail(error, OpenCVBridge_InvalidArgument, "convert needs two buffers and a valid size");
    }
    return guarded(error, [&] {
        int inChannels = 3, outChannels = 3, code = cv::COLOR_BGR2RGB;
        switch (conversion) {
        case OpenCVBridge_SwapRedBlue: break;
        case OpenCVBridge_BGRToGray: outChannels = 1; code = cv::COLOR_BGR2GRAY; break;
        case OpenCVBridge_RGBToGray: outChannels = 1; code = cv::COLOR_RGB2GRAY; break;
        case OpenCVBridge_GrayToBGR: inChannels = 1; code = cv::COLOR_GRAY2BGR; break;
        default: return fail(error, OpenCVBridge_InvalidArgument, "unknown colour conversion");
        }
        if (src == dst) {
            if (conversion != OpenCVBridge_SwapRedBlue) {
                return fail(error, OpenCVBridge_InvalidArgument, "only the red/blue swap works in place");
            }
            const size_t pixels = size_t(width) * size_t(height);
            for (size_t i = 0; i < pixels; ++i) std::swap(dst[3 * i], dst[3 * i + 2]);
            return ok(error);
        }
        cv::Mat target = wrap(dst, width, height, outChannels);
        cv::cvtColor(wrap(src, width, height, inChannels), target, code);
        return settle(target, dst, size_t(width) * height * outChannels, nullptr, error);
    });
}

extern "C" OpenCVBridge_Status OpenCVBridge_Rotate(const uint8_t *src, uint8_t *dst, int32_t width, int32_t height,
                                                   int32_t channels, int32_t quarterTurns, OpenCVBridge_Error *error) {
    if (src == nullptr || dst == nullptr || src == dst || !validShape(width, height, channels) || quarterTurns < 1 ||
        quarterTurns > 3) {
        return fail(error, OpenCVBridge_InvalidArgument, "rotate needs two distinct buffers and 1-3 quarter turns");
    }
    return guarded(error, [&] {
        static const int codes[] = {cv::ROTATE_90_CLOCKWISE, cv::ROTATE_180, cv::ROTATE_90_COUNTERCLOCKWISE};
        bool odd = quarterTurns % 2 == 1;
        cv::Mat target = wrap(dst, odd ? height : width, odd ? width : height, channels);
        cv::rotate(wrap(src, width, height, channels), target, codes[quarterTurns - 1]);
        return settle(target, dst, size_t(width) * height * channels, nullptr, error);
    });
}

// MARK: - Drawing

namespace {
cv::Scalar scalar(OpenCVBridge_Color color) { return cv::Scalar(color.c0, color.c1, color.c2); }
int lineType(int32_t antialiased) { return antialiased ? cv::LINE_AA : cv::LINE_8; }
} // namespace

extern "C" OpenCVBridge_Status OpenCVBridge_DrawLine(uint8_t *pixels, int32_t width, int32_t height, int32_t channels,
                                                     int32_t x0, int32_t y0, int32_t x1, int32_t y1,
                                                     OpenCVBridge_Color color, int32_t thickness, int32_t antialiased,
                                                     OpenCVBridge_Error *error) {
    if (pixels == nullptr || !validShape(width, height, channels)) return fail(error, OpenCVBridge_InvalidArgument, "bad image");
    return guarded(error, [&] {
        cv::Mat image = wrap(pixels, width, height, channels);
        cv::line(image, {x0, y0}, {x1, y1}, scalar(color), thickness < 1 ? 1 : thickness, lineType(antialiased));
        return ok(error);
    });
}

extern "C" OpenCVBridge_Status OpenCVBridge_DrawRectangle(uint8_t *pixels, int32_t width, int32_t height,
                                                          int32_t channels, int32_t x, int32_t y, int32_t rectWidth,
                                                          int32_t rectHeight, OpenCVBridge_Color color,
                                                          int32_t thickness, OpenCVBridge_Error *error) {
    if (pixels == nullptr || !validShape(width, height, channels)) return fail(error, OpenCVBridge_InvalidArgument, "bad image");
    return guarded(error, [&] {
        cv::Mat image = wrap(pixels, width, height, channels);
        cv::rectangle(image, cv::Rect(x, y, rectWidth, rectHeight), scalar(color), thickness < 0 ? cv::FILLED : thickness);
        return ok(error);
    });
}

extern "C" OpenCVBridge_Status OpenCVBridge_DrawCircle(uint8_t *pixels, int32_t width, int32_t height, int32_t channels,
                                                       int32_t centerX, int32_t centerY, int32_t radius,
                                                       OpenCVBridge_Color color, int32_t thickness, int32_t antialiased,
                                                       OpenCVBridge_Error *error) {
    if (pixels == nullptr || !validShape(width, height, channels) || radius < 0) {
        return fail(error, OpenCVBridge_InvalidArgument, "bad image or radius");
    }
    return guarded(error, [&] {
        cv::Mat image = wrap(pixels, width, height, channels);
        cv::circle(image, {centerX, centerY}, radius, scalar(color), thickness < 0 ? cv::FILLED : thickness,
                   lineType(antialiased));
        return ok(error);
    });
}

extern "C" OpenCVBridge_Status OpenCVBridge_DrawPolygon(uint8_t *pixels, int32_t width, int32_t height,
                                                        int32_t channels, const int32_t *xy, int32_t count,
                                                        OpenCVBridge_Color color, int32_t thickness,
                                                        int32_t antialiased, OpenCVBridge_Error *error) {
    if (pixels == nullptr || !validShape(width, height, channels) || xy == nullptr || count < 2) {
        return fail(error, OpenCVBridge_InvalidArgument, "bad image or fewer than two points");
    }
    return guarded(error, [&] {
        cv::Mat image = wrap(pixels, width, height, channels);
        std::vector<cv::Point> points;
        points.reserve(size_t(count));
        for (int32_t i = 0; i < count; ++i) points.emplace_back(xy[2 * i], xy[2 * i + 1]);
        std::vector<std::vector<cv::Point>> polygons{points};
        if (thickness < 0) {
            cv::fillPoly(image, polygons, scalar(color), lineType(antialiased));
        } else {
            cv::polylines(image, polygons, true, scalar(color), thickness < 1 ? 1 : thickness, lineType(antialiased));
        }
        return ok(error);
    });
}

extern "C" OpenCVBridge_Status OpenCVBridge_DrawText(uint8_t *pixels, int32_t width, int32_t height, int32_t channels,
                                                     const char *text, int32_t x, int32_t y, double scale,
                                                     OpenCVBridge_Color color, int32_t thickness, int32_t antialiased,
                                                     OpenCVBridge_Error *error) {
    if (pixels == nullptr || text == nullptr || !validShape(width, height, channels)) {
        return fail(error, OpenCVBridge_InvalidArgument, "bad image or text");
    }
    return guarded(error, [&] {
        cv::Mat image = wrap(pixels, width, height, channels);
        cv::putText(image, text, {x, y}, cv::FONT_HERSHEY_SIMPLEX, scale, scalar(color), thickness < 1 ? 1 : thickness,
                    lineType(antialiased));
        return ok(error);
    });
}

// MARK: - V4L2 queries

namespace {
/// Opens a device node for queries; returns -1 with the error filled in.
int openDevice(const char *path, OpenCVBridge_Error *error) {
    int fd;
    do { fd = ::open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC); } while (fd == -1 && errno == EINTR);
    if (fd == -1) {
        int code = errno;
        fail(error, OpenCVBridge_SystemError, std::string(path) + ": " + std::strerror(code), code);
    }
    return fd;
}
} // namespace

extern "C" OpenCVBridge_Status OpenCVBridge_DeviceQuery(const char *path, OpenCVBridge_DeviceInfo *info,
                                                        OpenCVBridge_Error *error) {
    if (path == nullptr || info == nullptr) return fail(error, OpenCVBridge_InvalidArgument, "null argument");
    std::memset(info, 0, sizeof(*info));
    int fd = openDevice(path, error);
    if (fd == -1) return OpenCVBridge_SystemError;
    v4l2_capability capability{};
    if (retryingIoctl(fd, VIDIOC_QUERYCAP, &capability) == -1) {
        int code = errno;
        ::close(fd);
        return fail(error, OpenCVBridge_SystemError, std::string(path) + ": not a V4L2 device (" + std::strerror(code) + ")",
                    code);
    }
    std::snprintf(info->card, sizeof(info->card), "%s", reinterpret_cast<const char *>(capability.card));
    std::snprintf(info->driver, sizeof(info->driver), "%s", reinterpret_cast<const char *>(capability.driver));
    std::snprintf(info->bus, sizeof(info->bus), "%s", reinterpret_cast<const char *>(capability.bus_info));
    uint32_t caps = (capability.capabilities & V4L2_CAP_DEVICE_CAPS) ? capability.device_caps : capability.capabilities;
    info->canCapture = (caps & (V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_CAPTURE_MPLANE)) ? 1 : 0;
    if (info->canCapture) {
        // Asking for zero buffers changes nothing on an idle device and fails with EBUSY
        // when another file handle owns the buffer queue (is streaming).
        v4l2_requestbuffers request{};
        request.count = 0;
        request.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        request.memory = V4L2_MEMORY_MMAP;
        if (retryingIoctl(fd, VIDIOC_REQBUFS, &request) == -1 && errno == EBUSY) info->busy = 1;
    }
    ::close(fd);
    return ok(error);
}

extern "C" OpenCVBridge_Status OpenCVBridge_DeviceFormats(const char *path, OpenCVBridge_DeviceFormat *formats,
                                                          int32_t capacity, int32_t *count, OpenCVBridge_Error *error) {
    if (path == nullptr || count == nullptr) return fail(error, OpenCVBridge_InvalidArgument, "null argument");
    *count = 0;
    int fd = openDevice(path, error);
    if (fd == -1) return OpenCVBridge_SystemError;
    auto add = [&](uint32_t pixelFormat, int width, int height, double fps) {
        if (formats != nullptr && *count < capacity) {
            auto &entry = formats[*count];
            std::snprintf(entry.fourcc, sizeof(entry.fourcc), "%s", fourccString(pixelFormat).c_str());
            entry.width = width;
            entry.height = height;
            entry.maxFPS = fps;
        }
        *count += 1;
    };
    auto maxFPS = [&](uint32_t pixelFormat, uint32_t width, uint32_t height) {
        double best = 0;
        v4l2_frmivalenum interval{};
        interval.pixel_format = pixelFormat;
        interval.width = width;
        interval.height = height;
        for (interval.index = 0; retryingIoctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, &interval) == 0; ++interval.index) {
            const v4l2_fract &f = interval.type == V4L2_FRMIVAL_TYPE_DISCRETE ? interval.discrete : interval.stepwise.min;
            if (f.numerator > 0) best = std::max(best, double(f.denominator) / double(f.numerator));
            if (interval.type != V4L2_FRMIVAL_TYPE_DISCRETE) break;
        }
        return best;
    };
    v4l2_fmtdesc description{};
    description.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    for (description.index = 0; retryingIoctl(fd, VIDIOC_ENUM_FMT, &description) == 0; ++description.index) {
        v4l2_frmsizeenum size{};
        size.pixel_format = description.pixelformat;
        for (size.index = 0; retryingIoctl(fd, VIDIOC_ENUM_FRAMESIZES, &size) == 0; ++size.index) {
            if (size.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
                add(description.pixelformat, int(size.discrete.width), int(size.discrete.height),
                    maxFPS(description.pixelformat, size.discrete.width, size.discrete.height));
            } else {
                add(description.pixelformat, int(size.stepwise.max_width), int(size.stepwise.max_height),
                    maxFPS(description.pixelformat, size.stepwise.max_width, size.stepwise.max_height));
                break;
            }
        }
    }
    ::close(fd);
    return ok(error);
}
