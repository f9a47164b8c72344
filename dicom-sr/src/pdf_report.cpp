// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/dicom/pdf_report.hpp"

#include <algorithm>
#include <ctime>
#include <memory>
#include <vector>

#include <cairo-pdf.h>
#include <cairo.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcspchrs.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "sagitta/core/parameter_catalogue.hpp"
#include "sagitta/dicom/errors.hpp"
#include "sagitta/dicom/identity.hpp"
#include "sagitta/dicom/overlay.hpp"
#include "derived_object.hpp"
#include "display_text.hpp"
#include "part10.hpp"

namespace sagitta::dicom {
namespace {

// A4 in PostScript points.
constexpr double kPageWidth = 595.28, kPageHeight = 841.89, kMargin = 36.0;
constexpr int kFilmMaxRows = 1600;  // ~190 dpi in the film's box: enough to read the labels
const char* kFont = "DejaVu Sans";

struct Rgb {
  double r, g, b;
};
const Rgb kInk{0.1, 0.1, 0.1}, kGrey{0.42, 0.42, 0.42}, kRed{0.72, 0.0, 0.0}, kGreen{0.0, 0.42, 0.22},
    kRule{0.78, 0.78, 0.78}, kWhite{1, 1, 1};

// Text in the source's character set as UTF-8 (cairo's), through DCMTK's converter; bytes it
// cannot convert become '?', so a header never shows mojibake or breaks the page.
std::string utf8(const std::string& text, const std::string& characterSet) {
  bool ascii = std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) return text;
  DcmSpecificCharacterSet converter;
  OFString converted;
  if (converter.selectCharacterSet(characterSet.c_str(), "ISO_IR 192").good() &&
      converter.convertString(text.c_str(), text.size(), converted).good()) {
    return converted.c_str();
  }
  std::string plain = text;
  for (auto& c : plain) {
    if (static_cast<unsigned char>(c) >= 0x80) c = '?';
  }
  return plain;
}

std::string dicomDate(const std::string& da) {
  if (da.size() != 8) return da;
  return da.substr(0, 4) + "-" + da.substr(4, 2) + "-" + da.substr(6, 2);
}

// "Family^Given^Middle" as "Family, Given Middle".
std::string readableName(const std::string& pn) {
  std::vector<std::string> parts;
  std::string part;
  for (const char c : pn.substr(0, pn.find('='))) {
    if (c == '^') {
      parts.push_back(part);
      part.clear();
    } else {
      part += c;
    }
  }
  parts.push_back(part);
  std::string given;
  for (std::size_t i = 1; i < parts.size() && i < 3; ++i) {
    if (!parts[i].empty()) given += (given.empty() ? "" : " ") + parts[i];
  }
  return parts[0] + (given.empty() ? "" : ", " + given);
}

class Page {
 public:
  explicit Page(cairo_t* cr) : cr_(cr) {}

  void colour(Rgb c) { cairo_set_source_rgb(cr_, c.r, c.g, c.b); }
  void font(double size, bool bold = false) {
    cairo_select_font_face(cr_, kFont, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr_, size);
  }
  double width(const std::string& text) {
    cairo_text_extents_t e;
    cairo_text_extents(cr_, text.c_str(), &e);
    return e.x_advance;
  }
  // Shortened with an ellipsis to fit maxWidth (a name never runs into the next column).
  std::string fit(std::string text, double maxWidth) {
    if (width(text) <= maxWidth) return text;
    while (!text.empty() && width(text + "...") > maxWidth) {
      text.pop_back();
      while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) text.pop_back();
    }
    return text + "...";
  }
  void text(double x, double y, const std::string& s, Rgb c) {
    colour(c);
    cairo_move_to(cr_, x, y);
    cairo_show_text(cr_, s.c_str());
  }
  void right(double x, double y, const std::string& s, Rgb c) { text(x - width(s), y, s, c); }
  void rule(double x0, double x1, double y) {
    colour(kRule);
    cairo_set_line_width(cr_, 0.5);
    cairo_move_to(cr_, x0, y);
    cairo_line_to(cr_, x1, y);
    cairo_stroke(cr_);
  }
  void box(double x, double y, double w, double h, Rgb c) {
    colour(c);
    cairo_rectangle(cr_, x, y, w, h);
    cairo_fill(cr_);
  }
  cairo_t* context() { return cr_; }

 private:
  cairo_t* cr_;
};

cairo_status_t appendTo(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

void releaseBuffer(void* data) { delete static_cast<std::vector<unsigned char>*>(data); }

// The film with its constructions, fitted into the box (x, y, w, h), embedded as JPEG (cairo
// passes the JPEG stream into the PDF as it is: a page of ~0.5 MB, not ~5 MB of Flate RGB).
void drawFilm(Page& page, const ReportInput& in, const cv::Mat& display, double x, double y, double w, double h) {
  cv::Mat film = renderAnnotatedFilm(in, display);
  if (film.rows > kFilmMaxRows) {
    const double s = static_cast<double>(kFilmMaxRows) / film.rows;
    cv::resize(film, film, cv::Size(std::max(1, static_cast<int>(film.cols * s)), kFilmMaxRows), 0, 0, cv::INTER_AREA);
  }
  cv::Mat bgra;
  cv::cvtColor(film, bgra, cv::COLOR_BGR2BGRA);
  std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> image(
      cairo_image_surface_create(CAIRO_FORMAT_RGB24, bgra.cols, bgra.rows), cairo_surface_destroy);
  if (cairo_surface_status(image.get()) != CAIRO_STATUS_SUCCESS) throw DicomError("cannot create the report's film image");
  cairo_surface_flush(image.get());
  unsigned char* pixels = cairo_image_surface_get_data(image.get());
  const int stride = cairo_image_surface_get_stride(image.get());
  for (int row = 0; row < bgra.rows; ++row) {
    std::copy_n(bgra.ptr<unsigned char>(row), static_cast<std::size_t>(bgra.cols) * 4,
                pixels + static_cast<std::ptrdiff_t>(row) * stride);
  }
  cairo_surface_mark_dirty(image.get());
  auto* jpeg = new std::vector<unsigned char>();
  cv::imencode(".jpg", film, *jpeg, {cv::IMWRITE_JPEG_QUALITY, 88});
  cairo_surface_set_mime_data(image.get(), CAIRO_MIME_TYPE_JPEG, jpeg->data(), jpeg->size(), releaseBuffer, jpeg);

  const double scale = std::min(w / film.cols, h / film.rows);
  cairo_t* cr = page.context();
  cairo_save(cr);
  cairo_translate(cr, x, y);
  cairo_scale(cr, scale, scale);
  cairo_set_source_surface(cr, image.get(), 0, 0);
  cairo_paint(cr);
  cairo_restore(cr);
}

void drawPage(Page& page, const ReportInput& in, const cv::Mat& display, const std::tm& when) {
  const auto& s = in.source;
  const auto& cs = s.specificCharacterSet;
  const double left = kMargin, rightEdge = kPageWidth - kMargin;
  double y = kMargin + 14;

  page.font(16, true);
  page.text(left, y, "Sagittal spine parameters", kInk);
  page.font(8.5);
  page.right(rightEdge, y, "Sagitta", kGrey);
  y += 20;
  // Patient and study: what the clinic files the page by.
  page.font(10, true);
  page.text(left, y, page.fit(utf8(readableName(s.patient.name), cs), 300), kInk);
  page.font(9.5);
  page.right(rightEdge, y, "study " + dicomDate(s.study.studyDate), kInk);
  y += 13;
  std::string ids = "ID " + utf8(s.patient.id, cs);
  if (!s.patient.birthDate.empty()) ids += "    born " + dicomDate(s.patient.birthDate);
  if (!s.patient.sex.empty()) ids += "    sex " + s.patient.sex;
  page.text(left, y, page.fit(ids, 330), kInk);
  if (!s.study.accessionNumber.empty()) {
    page.right(rightEdge, y, page.fit("accession " + utf8(s.study.accessionNumber, cs), 180), kInk);
  }
  y += 13;
  std::string film = s.modality;
  if (!s.viewPosition.empty()) film += " " + s.viewPosition;
  if (!s.bodyPartExamined.empty()) film += " " + s.bodyPartExamined;
  if (!s.study.studyDescription.empty()) film = utf8(s.study.studyDescription, cs) + "    " + film;
  page.font(8.5);
  page.text(left, y, page.fit(film, rightEdge - left), kGrey);
  y += 9;

  // The statement: who stands by these numbers.
  const std::string statement =
      in.review ? std::string(in.review->corrected ? "CORRECTED" : "APPROVED") + " BY " + personName(in.review->reviewer) +
                      (in.review->authenticated ? "" : " (NOT AUTHENTICATED)") + " - REVISION " +
                      std::to_string(in.review->revision)
                : std::string("AUTOMATED MEASUREMENT - VERIFY BEFORE CLINICAL USE");
  page.box(left, y, rightEdge - left, 20, in.review ? kGreen : kRed);
  page.font(10, true);
  page.text(left + 8, y + 14, page.fit(statement, rightEdge - left - 16), kWhite);
  y += 30;

  // The film on the left, the table on the right.
  const double filmWidth = 232, tableX = left + filmWidth + 14, footerTop = kPageHeight - kMargin - 40;
  drawFilm(page, in, display, left, y, filmWidth, footerTop - y - 8);

  const double keyX = tableX, nameX = tableX + 44, valueRight = rightEdge - 76, paperRight = rightEdge;
  double t = y + 10;
  page.font(7.5, true);
  page.text(keyX, t, "Parameter", kGrey);
  page.right(valueRight, t, "Value", kGrey);
  page.right(paperRight, t, "Paper mean, SD", kGrey);
  t += 5;
  page.rule(tableX, rightEdge, t);
  t += 12;
  const bool calibrated = in.measurement.calibration.calibrated();
  std::vector<std::string> notes;
  for (const auto& value : in.measurement.parameters) {
    const auto& info = core::parameterInfo(value.id);
    page.font(9, true);
    page.text(keyX, t, std::string(info.key), kInk);
    page.font(8);
    const std::string valueText = detail::shownValue(value, calibrated, "not measured");
    page.text(nameX, t, page.fit(std::string(info.name), valueRight - nameX - 58), kGrey);
    page.font(9, value.value.has_value());
    page.right(valueRight, t, valueText + (value.warnings.empty() ? "" : " !"),
               !value.warnings.empty() ? kRed : value.value ? kInk : kGrey);
    page.font(8);
    page.right(paperRight, t, detail::paperNormal(value.id), kGrey);
    if (!value.value && !value.reason.empty()) notes.push_back(std::string(info.key) + ": " + value.reason);
    for (const auto& warning : value.warnings) notes.push_back(std::string(info.key) + " ! " + warning);
    t += 4;
    page.rule(tableX, rightEdge, t);
    t += 12;
  }

  // What surgeons plan with.
  t += 6;
  page.font(9, true);
  page.text(tableX, t, "Alignment", kInk);
  t += 13;
  page.font(8.5);
  const auto& indices = in.measurement.indices;
  page.text(tableX, t,
            "PI-LL mismatch: " + (indices.piMinusLl ? detail::fixed(*indices.piMinusLl, 1) + " deg" : "n/a (" + indices.piMinusLlReason + ")"),
            kInk);
  t += 12;
  std::string schwab = "SRS-Schwab modifiers:";
  for (const auto& m : indices.schwab) {
    schwab += "  " + std::string(m.key) + " " + (m.grade ? std::string(core::schwabGradeKey(*m.grade)) : std::string("n/a"));
  }
  page.text(tableX, t, page.fit(schwab, rightEdge - tableX), kInk);
  t += 11;
  page.font(7.5);
  page.text(tableX, t, "(0 none, + moderate, ++ marked; Schwab et al., Spine 2012)", kGrey);

  // How it was measured.
  t += 18;
  page.font(9, true);
  page.text(tableX, t, "Method", kInk);
  t += 13;
  page.font(8.5);
  const std::string who = in.review ? "points reviewed (revision " + std::to_string(in.review->revision) + "), proposed by "
                                    : "model: ";
  page.text(tableX, t, page.fit(who + in.model.name + " " + in.model.version, rightEdge - tableX), kInk);
  t += 12;
  page.font(7.5);
  page.text(tableX, t, "model digest " + in.model.sha256.substr(0, 16), kGrey);
  t += 12;
  page.font(8.5);
  const auto& c = in.measurement.calibration;
  std::string calibration = "calibration: " + std::string(core::calibrationKey(c.kind));
  if (c.calibrated()) calibration += " (" + detail::fixed(c.rowSpacingMm, 3) + " x " + detail::fixed(c.columnSpacingMm, 3) + " mm/pixel)";
  page.text(tableX, t, page.fit(calibration, rightEdge - tableX), kInk);
  t += 11;
  if (!c.note.empty()) {
    page.font(7.5);
    page.text(tableX, t, page.fit(c.note, rightEdge - tableX), kGrey);
    t += 11;
  }
  page.font(8.5);
  page.text(tableX, t, "patient faces " + std::string(core::facingKey(in.measurement.facing)) +
                           "; angles in degrees, distances in " + (calibrated ? "mm" : "pixels"), kInk);
  t += 12;

  // Why some are missing, as far as the page allows (the SR holds every reason).
  page.font(7.5);
  for (const auto& note : notes) {
    if (t + 10 > footerTop) break;
    page.text(tableX, t, page.fit(note, rightEdge - tableX), kGrey);
    t += 10;
  }

  page.rule(left, rightEdge, footerTop);
  page.font(7.5);
  const double line = rightEdge - left;
  page.text(left, footerTop + 12,
            page.fit("Landmarks found by a neural network; the parameters are computed from them "
                     "(definitions: Sagitta's MEASUREMENT.md).", line),
            kGrey);
  page.text(left, footerTop + 22,
            page.fit(in.review ? "A reviewer checked the landmarks; the structured report (SR) in this study records who, "
                                 "when and what changed."
                               : "Not a diagnosis. Verify every value on the film before clinical use; the structured "
                                 "report (SR) in this study holds every value and reason.",
                     line),
            kGrey);
  char generated[32] = "";
  std::strftime(generated, sizeof generated, "%Y-%m-%d %H:%M", &when);
  page.text(left, footerTop + 32, std::string("Generated ") + generated, kGrey);
}

std::tm localNow() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  return local;
}

// The page, stamped "Generated" with when (the object's Content Date and Time).
std::string renderPdf(const ReportInput& in, const cv::Mat& display, const std::tm& when) {
  std::string bytes;
  std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> surface(
      cairo_pdf_surface_create_for_stream(appendTo, &bytes, kPageWidth, kPageHeight), cairo_surface_destroy);
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, "Sagittal spine parameters");
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "Sagitta");
  std::unique_ptr<cairo_t, decltype(&cairo_destroy)> cr(cairo_create(surface.get()), cairo_destroy);
  Page page(cr.get());
  drawPage(page, in, display, when);
  cairo_show_page(cr.get());
  const auto status = cairo_status(cr.get());
  cr.reset();
  cairo_surface_finish(surface.get());
  if (status != CAIRO_STATUS_SUCCESS || cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    throw DicomError(std::string("cannot draw the PDF report: ") + cairo_status_to_string(status));
  }
  return bytes;
}

}  // namespace

std::string renderReportPdf(const ReportInput& in, const cv::Mat& display) { return renderPdf(in, display, localNow()); }

std::string pdfReportBytes(const ReportInput& in, const cv::Mat& display) {
  const auto& s = in.source;
  const OutputUids uids = reportUids(in, "pdf");
  const std::tm when = localNow();
  std::string pdf = renderPdf(in, display, when);
  const auto length = pdf.size();
  if (pdf.size() % 2 != 0) pdf.push_back('\0');  // OB of even length; the real length is (0042,0015)

  DcmFileFormat file;
  DcmDataset& d = *file.getDataset();
  const auto put = [&](const DcmTagKey& tag, const std::string& value) { detail::putString(d, tag, value); };
  char date[16], time[16];
  std::strftime(date, sizeof date, "%Y%m%d", &when);
  std::strftime(time, sizeof time, "%H%M%S", &when);
  detail::putDerivedIdentity(d, s, UID_EncapsulatedPDFStorage, uids);
  put(DCM_Modality, "DOC");
  put(DCM_SeriesNumber, in.review ? "9906" : "9905");
  put(DCM_SeriesDescription, in.review ? "Sagitta report (reviewed)" : "Sagitta report");
  put(DCM_Manufacturer, kManufacturer);
  put(DCM_ManufacturerModelName, kModelName);
  put(DCM_SoftwareVersions, in.model.version.empty() ? "sagitta" : in.model.version);
  put(DCM_ConversionType, "WSD");
  put(DCM_InstanceNumber, in.review ? std::to_string(in.review->revision) : "1");
  put(DCM_ContentDate, date);
  put(DCM_ContentTime, time);
  put(DCM_AcquisitionDateTime, "");
  put(DCM_BurnedInAnnotation, "YES");
  put(DCM_DocumentTitle, "Sagittal spine parameters");
  put(DCM_MIMETypeOfEncapsulatedDocument, "application/pdf");
  if (d.insertEmptyElement(DCM_ConceptNameCodeSequence).bad()) throw DicomError("cannot set ConceptNameCodeSequence");
  detail::putSourceReference(d, DCM_SourceInstanceSequence, s);
  if (d.putAndInsertUint32(DCM_EncapsulatedDocumentLength, static_cast<Uint32>(length)).bad() ||
      d.putAndInsertUint8Array(DCM_EncapsulatedDocument, reinterpret_cast<const Uint8*>(pdf.data()),
                               static_cast<unsigned long>(pdf.size()))
          .bad()) {
    throw DicomError("cannot set the encapsulated PDF");
  }
  return detail::part10Bytes(file);
}

void writePdfReport(const ReportInput& in, const cv::Mat& display, const std::string& path) {
  detail::writePart10(pdfReportBytes(in, display), path);
}

}  // namespace sagitta::dicom
