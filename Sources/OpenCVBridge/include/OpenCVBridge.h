#ifndef OPENCVBRIDGE_H
#define OPENCVBRIDGE_H

// A plain C ABI over the parts of OpenCV 4 that SwiftVLA uses.
//
// Why this shim exists: OpenCV 4 has only a C++ API (its old C API is gone), and C++
// exceptions must never unwind into Swift. Every function here catches `cv::Exception`
// and `std::exception`, and returns an `OpenCVBridge_Status` with the message written to
// an optional `OpenCVBridge_Error`. Objects (captures, writers, encoded byte buffers)
// are opaque handles that the caller releases with the matching `...Destroy`.
//
// Images cross as caller-owned, tightly packed 8-bit buffers (`width * channels` bytes
// per row, channels interleaved, OpenCV's BGR order for colour). Functions that produce
// pixels write into the caller's buffer directly when it has the right size, so a
// capture loop with a reusable buffer does not copy or allocate per frame.
//
// Every name is prefixed with `OpenCVBridge_`.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: - Status and errors

/// What a bridge call reports.
typedef enum OpenCVBridge_Status {
    /// Success.
    OpenCVBridge_OK = 0,
    /// OpenCV declined without an exception (e.g. `VideoCapture::open` returned false).
    OpenCVBridge_Failed = 1,
    /// OpenCV (or the C++ runtime) threw; the message says what.
    OpenCVBridge_Exception = 2,
    /// A capture has no more frames (end of file, or the device stopped delivering).
    OpenCVBridge_EndOfStream = 3,
    /// The caller's buffer is too small; the info output says what is needed.
    OpenCVBridge_BufferTooSmall = 4,
    /// An argument is out of range (a null handle, a negative size, ...).
    OpenCVBridge_InvalidArgument = 5,
    /// A system call failed; `OpenCVBridge_Error.systemErrno` holds `errno`.
    OpenCVBridge_SystemError = 6,
} OpenCVBridge_Status;

/// The text of a failure. Fixed size, so callers can keep it on the stack.
typedef struct OpenCVBridge_Error {
    /// The `errno` of a failed system call, else 0.
    int32_t systemErrno;
    /// A NUL-terminated message (truncated to fit).
    char message[500];
} OpenCVBridge_Error;

/// The shape of an image a call produced.
typedef struct OpenCVBridge_ImageInfo {
    int32_t width;
    int32_t height;
    int32_t channels;
    /// 1 when the pixels had to be copied into the caller's buffer, 0 when OpenCV
    /// wrote them there directly.
    int32_t copied;
} OpenCVBridge_ImageInfo;

/// OpenCV's version, e.g. "4.6.0".
const char *OpenCVBridge_Version(void);

/// OpenCV's log verbosity: 0 silent, 1 fatal, 2 error, 3 warning, 4 info, 5 debug.
/// The corresponding OpenCV call is `cv::utils::logging::setLogLevel`.
void OpenCVBridge_SetLogLevel(int32_t level);

// MARK: - Video capture

/// An open (or closed) `cv::VideoCapture`.
typedef struct OpenCVBridge_Capture OpenCVBridge_Capture;

/// The capture backends SwiftVLA asks for by name.
typedef enum OpenCVBridge_Backend {
    /// Let OpenCV choose (`cv::CAP_ANY`).
    OpenCVBridge_BackendAny = 0,
    /// Video4Linux2 devices (`cv::CAP_V4L2`).
    OpenCVBridge_BackendV4L2 = 1,
    /// FFmpeg files and streams (`cv::CAP_FFMPEG`).
    OpenCVBridge_BackendFFmpeg = 2,
    /// GStreamer pipelines (`cv::CAP_GSTREAMER`).
    OpenCVBridge_BackendGStreamer = 3,
    /// OpenCV's own MJPEG AVI reader and writer (`cv::CAP_OPENCV_MJPEG`).
    OpenCVBridge_BackendOpenCVMJPEG = 4,
} OpenCVBridge_Backend;

/// Capture properties, a subset of `cv::VideoCaptureProperties`.
typedef enum OpenCVBridge_Property {
    OpenCVBridge_PropertyWidth = 0,        // CAP_PROP_FRAME_WIDTH
    OpenCVBridge_PropertyHeight = 1,       // CAP_PROP_FRAME_HEIGHT
    OpenCVBridge_PropertyFPS = 2,          // CAP_PROP_FPS
    OpenCVBridge_PropertyFourCC = 3,       // CAP_PROP_FOURCC
    OpenCVBridge_PropertyFrameCount = 4,   // CAP_PROP_FRAME_COUNT
    OpenCVBridge_PropertyPosFrames = 5,    // CAP_PROP_POS_FRAMES
    OpenCVBridge_PropertyPosMsec = 6,      // CAP_PROP_POS_MSEC
    OpenCVBridge_PropertyBufferSize = 7,   // CAP_PROP_BUFFERSIZE
    OpenCVBridge_PropertyBackend = 8,      // CAP_PROP_BACKEND
} OpenCVBridge_Property;

/// Creates a closed capture. Returns NULL only when out of memory.
OpenCVBridge_Capture *OpenCVBridge_CaptureCreate(void);

/// Releases the device or file and frees the handle. NULL is ignored.
void OpenCVBridge_CaptureDestroy(OpenCVBridge_Capture *capture);

/// Opens camera `index` (`/dev/video<index>` with V4L2).
OpenCVBridge_Status OpenCVBridge_CaptureOpenIndex(OpenCVBridge_Capture *capture, int32_t index,
                                                  OpenCVBridge_Backend backend,
                                                  OpenCVBridge_Error *error);

/// Opens a device path, video file or stream URL. `openTimeoutMs`/`readTimeoutMs` > 0
/// bound how long FFmpeg waits for a stream (ignored by backends without the knobs).
OpenCVBridge_Status OpenCVBridge_CaptureOpenPath(OpenCVBridge_Capture *capture, const char *path,
                                                 OpenCVBridge_Backend backend,
                                                 int32_t openTimeoutMs, int32_t readTimeoutMs,
                                                 OpenCVBridge_Error *error);

/// Closes the capture; it can be opened again.
void OpenCVBridge_CaptureRelease(OpenCVBridge_Capture *capture);

/// Sets a property. `OpenCVBridge_Failed` means the backend refused it; read it back
/// with `OpenCVBridge_CaptureGet` to see what was granted.
OpenCVBridge_Status OpenCVBridge_CaptureSet(OpenCVBridge_Capture *capture, OpenCVBridge_Property property,
                                            double value, OpenCVBridge_Error *error);

/// Reads a property (0 when the backend does not know it).
OpenCVBridge_Status OpenCVBridge_CaptureGet(OpenCVBridge_Capture *capture, OpenCVBridge_Property property,
                                            double *value, OpenCVBridge_Error *error);

/// The name of the backend actually in use ("V4L2", "FFMPEG", ...), or "" when closed.
/// Valid until the next call on this capture.
const char *OpenCVBridge_CaptureBackendName(OpenCVBridge_Capture *capture);

/// Waits for and takes the next frame without decoding it.
/// `OpenCVBridge_EndOfStream` when there is none.
OpenCVBridge_Status OpenCVBridge_CaptureGrab(OpenCVBridge_Capture *capture, OpenCVBridge_Error *error);

/// Decodes the grabbed frame into `buffer` as packed BGR (or gray).
///
/// When `capacity` already fits the frame the decoder writes into `buffer` directly
/// (`info->copied == 0` for backends that support it). When it does not fit, returns
/// `OpenCVBridge_BufferTooSmall` with the frame's shape in `info` and keeps the frame:
/// call again with a larger buffer.
OpenCVBridge_Status OpenCVBridge_CaptureRetrieve(OpenCVBridge_Capture *capture, uint8_t *buffer, size_t capacity,
                                                 OpenCVBridge_ImageInfo *info, OpenCVBridge_Error *error);

// MARK: - Video writing

/// An open `cv::VideoWriter`.
typedef struct OpenCVBridge_Writer OpenCVBridge_Writer;

/// Opens `path` for writing `fourcc` (four characters, e.g. "MJPG") at `fps`.
/// Returns NULL on failure with the reason in `error`.
OpenCVBridge_Writer *OpenCVBridge_WriterOpen(const char *path, const char *fourcc, double fps,
                                             int32_t width, int32_t height, int32_t isColor,
                                             OpenCVBridge_Backend backend, OpenCVBridge_Error *error);

/// Appends one frame (packed BGR when colour, else gray) of the size given at open.
OpenCVBridge_Status OpenCVBridge_WriterWrite(OpenCVBridge_Writer *writer, const uint8_t *pixels,
                                             int32_t width, int32_t height, int32_t channels,
                                             OpenCVBridge_Error *error);

/// Finishes the file (writes the index) and frees the handle. NULL is ignored.
void OpenCVBridge_WriterDestroy(OpenCVBridge_Writer *writer);

// MARK: - Image files and codecs

/// Bytes produced by an encoder.
typedef struct OpenCVBridge_Bytes OpenCVBridge_Bytes;

const uint8_t *OpenCVBridge_BytesData(const OpenCVBridge_Bytes *bytes);
size_t OpenCVBridge_BytesCount(const OpenCVBridge_Bytes *bytes);
void OpenCVBridge_BytesDestroy(OpenCVBridge_Bytes *bytes);

/// Encodes packed pixels as `extension` (".png", ".jpg", ...). `quality` is the JPEG
/// quality 0-100 or the PNG compression 0-9; a negative value keeps OpenCV's default.
OpenCVBridge_Status OpenCVBridge_ImageEncode(const uint8_t *pixels, int32_t width, int32_t height,
                                             int32_t channels, const char *extension, int32_t quality,
                                             OpenCVBridge_Bytes **output, OpenCVBridge_Error *error);

/// Decodes an encoded image into `buffer` as packed BGR (`channels` 3) or gray (1).
/// Same buffer rules as `OpenCVBridge_CaptureRetrieve`, except that nothing is kept:
/// after `OpenCVBridge_BufferTooSmall`, call again with the shape from `info`.
OpenCVBridge_Status OpenCVBridge_ImageDecode(const uint8_t *data, size_t count, int32_t channels,
                                             uint8_t *buffer, size_t capacity, OpenCVBridge_ImageInfo *info,
                                             OpenCVBridge_Error *error);

/// Reads and decodes an image file; buffer rules as `OpenCVBridge_ImageDecode`.
OpenCVBridge_Status OpenCVBridge_ImageRead(const char *path, int32_t channels, uint8_t *buffer, size_t capacity,
                                           OpenCVBridge_ImageInfo *info, OpenCVBridge_Error *error);

/// Encodes and writes an image file; the format follows the extension of `path`.
OpenCVBridge_Status OpenCVBridge_ImageWrite(const char *path, const uint8_t *pixels, int32_t width, int32_t height,
                                            int32_t channels, int32_t quality, OpenCVBridge_Error *error);

// MARK: - Image processing

/// Interpolation for `OpenCVBridge_Resize` (`cv::InterpolationFlags`).
typedef enum OpenCVBridge_Interpolation {
    OpenCVBridge_InterpolationNearest = 0,
    OpenCVBridge_InterpolationLinear = 1,
    OpenCVBridge_InterpolationCubic = 2,
    OpenCVBridge_InterpolationArea = 3,
    OpenCVBridge_InterpolationLanczos4 = 4,
} OpenCVBridge_Interpolation;

/// Resizes packed pixels from `src` into `dst` (`cv::resize`). No antialiasing except
/// with `Area`, which averages when shrinking.
OpenCVBridge_Status OpenCVBridge_Resize(const uint8_t *src, int32_t srcWidth, int32_t srcHeight, int32_t channels,
                                        uint8_t *dst, int32_t dstWidth, int32_t dstHeight,
                                        OpenCVBridge_Interpolation interpolation, OpenCVBridge_Error *error);

/// Colour conversions (`cv::ColorConversionCodes`).
typedef enum OpenCVBridge_ColorConversion {
    /// BGR to RGB or back (the same swap); `src == dst` is allowed.
    OpenCVBridge_SwapRedBlue = 0,
    OpenCVBridge_BGRToGray = 1,
    OpenCVBridge_RGBToGray = 2,
    OpenCVBridge_GrayToBGR = 3,
} OpenCVBridge_ColorConversion;

OpenCVBridge_Status OpenCVBridge_ConvertColor(const uint8_t *src, uint8_t *dst, int32_t width, int32_t height,
                                              OpenCVBridge_ColorConversion conversion, OpenCVBridge_Error *error);

/// Rotates by `quarterTurns` * 90 degrees clockwise (1, 2 or 3) from `src` into `dst`
/// (`cv::rotate`). The output is `height` x `width` for odd turns.
OpenCVBridge_Status OpenCVBridge_Rotate(const uint8_t *src, uint8_t *dst, int32_t width, int32_t height,
                                        int32_t channels, int32_t quarterTurns, OpenCVBridge_Error *error);

// MARK: - Drawing (in place, on packed 8-bit pixels; colours in the image's channel order)

/// A colour: up to three channel values in the image's order (BGR for OpenCV images).
typedef struct OpenCVBridge_Color {
    double c0, c1, c2;
} OpenCVBridge_Color;

/// `thickness` < 0 fills. `antialiased` uses `cv::LINE_AA`, else `cv::LINE_8`.
OpenCVBridge_Status OpenCVBridge_DrawLine(uint8_t *pixels, int32_t width, int32_t height, int32_t channels,
                                          int32_t x0, int32_t y0, int32_t x1, int32_t y1,
                                          OpenCVBridge_Color color, int32_t thickness, int32_t antialiased,
                                          OpenCVBridge_Error *error);

OpenCVBridge_Status OpenCVBridge_DrawRectangle(uint8_t *pixels, int32_t width, int32_t height, int32_t channels,
                                               int32_t x, int32_t y, int32_t rectWidth, int32_t rectHeight,
                                               OpenCVBridge_Color color, int32_t thickness,
                                               OpenCVBridge_Error *error);

OpenCVBridge_Status OpenCVBridge_DrawCircle(uint8_t *pixels, int32_t width, int32_t height, int32_t channels,
                                            int32_t centerX, int32_t centerY, int32_t radius,
                                            OpenCVBridge_Color color, int32_t thickness, int32_t antialiased,
                                            OpenCVBridge_Error *error);

/// A polygon through `count` points (`xy` holds x0, y0, x1, y1, ...). `thickness` < 0
/// fills it (`cv::fillPoly`), else outlines it closed (`cv::polylines`).
OpenCVBridge_Status OpenCVBridge_DrawPolygon(uint8_t *pixels, int32_t width, int32_t height, int32_t channels,
                                             const int32_t *xy, int32_t count,
                                             OpenCVBridge_Color color, int32_t thickness, int32_t antialiased,
                                             OpenCVBridge_Error *error);

/// Text with `cv::FONT_HERSHEY_SIMPLEX`; (x, y) is the bottom-left of the baseline.
OpenCVBridge_Status OpenCVBridge_DrawText(uint8_t *pixels, int32_t width, int32_t height, int32_t channels,
                                          const char *text, int32_t x, int32_t y, double scale,
                                          OpenCVBridge_Color color, int32_t thickness, int32_t antialiased,
                                          OpenCVBridge_Error *error);

// MARK: - Video4Linux2 device queries (not OpenCV: OpenCV cannot tell why a device fails)

/// What `VIDIOC_QUERYCAP` says about a device node.
typedef struct OpenCVBridge_DeviceInfo {
    /// The card name, e.g. "HD Pro Webcam C920".
    char card[64];
    /// The driver, e.g. "uvcvideo".
    char driver[32];
    /// The bus, e.g. "usb-0000:00:14.0-1".
    char bus[64];
    /// 1 when this node captures video (a UVC camera's second node carries only metadata).
    int32_t canCapture;
    /// 1 when another process is streaming from it (`VIDIOC_REQBUFS` said EBUSY).
    int32_t busy;
} OpenCVBridge_DeviceInfo;

/// Opens `path` read-write and queries it. On failure returns `OpenCVBridge_SystemError`
/// with `errno` (ENOENT, EACCES, ENOTTY for a node that is not V4L2, ...).
OpenCVBridge_Status OpenCVBridge_DeviceQuery(const char *path, OpenCVBridge_DeviceInfo *info,
                                             OpenCVBridge_Error *error);

/// One frame size a device offers for a pixel format.
typedef struct OpenCVBridge_DeviceFormat {
    /// The V4L2 pixel format as four characters ("MJPG", "YUYV").
    char fourcc[5];
    int32_t width;
    int32_t height;
    /// The highest frame rate for this size (0 when the driver does not say).
    double maxFPS;
} OpenCVBridge_DeviceFormat;

/// Lists up to `capacity` (format, size) pairs of a capture device; `*count` is how many
/// exist (may exceed `capacity`). Stepwise ranges are reported as their largest size.
OpenCVBridge_Status OpenCVBridge_DeviceFormats(const char *path, OpenCVBridge_DeviceFormat *formats,
                                               int32_t capacity, int32_t *count, OpenCVBridge_Error *error);

#ifdef __cplusplus
}
#endif

#endif
