// The OpenCV 4 system library, as OpenCVBridge compiles and links against it.
//
// Swift never includes OpenCV (a C++-only API); the OpenCVBridge target wraps it in a
// plain C header. This target exists to say where OpenCV lives without pkg-config:
//
// - Headers. OpenCV 4 installs them under <prefix>/include/opencv4/opencv2 and its
//   headers include each other as "opencv2/...", so the compiler needs
//   <prefix>/include/opencv4 on its search path. SwiftPM allows only package-relative
//   header search paths (no `unsafeFlags`, which would stop the package building as a
//   dependency), so `usr/opencv2` and `usr-local/opencv2` beside this file are symbolic
//   links to /usr/include/opencv4/opencv2 (Debian, Ubuntu, Fedora, Arch packages) and
//   /usr/local/include/opencv4/opencv2 (a `make install` from source), searched in that
//   order. A dangling link is harmless.
// - Libraries. OpenCVBridge links exactly libopencv_core, _imgproc, _imgcodecs and
//   _videoio (Package.swift `linkerSettings`). `pkg-config --libs opencv4` would link
//   all ~55 OpenCV modules, and the loader would then map Qt, VTK, HDF5, Tesseract and
//   the rest into every program and test. For `vla --version` (measured under load):
//   382 shared libraries, 137 MB resident and about twice the start-up time, against
//   260 libraries and 92 MB with the four modules used.
