// A small SVG line-plot writer (no dependencies) and the standard plot of a
// simulation run: stacked panels sharing the time axis (offset, |offset| on
// a log scale, frequency error, frequency correction against the
// oscillator), one line per host, events (steps, panics, kiss codes, faults)
// marked as vertical lines across all panels.
#ifndef SIM_SVG_PLOT_H_
#define SIM_SVG_PLOT_H_

#include <string>
#include <utility>
#include <vector>

#include "sim/simulation.h"

namespace sim {

struct PlotSeries {
  std::string label;
  std::string color;  // any SVG color
  bool dashed = false;
  std::vector<std::pair<double, double>> points;  // (x, y); non-finite y skipped
};

struct PlotPanel {
  std::string title;
  bool log_y = false;  // plot log10(|y|) (values below 1e-12 clamp there)
  std::vector<PlotSeries> series;
};

struct PlotMarker {
  double x = 0;
  std::string color;
  std::string label;
};

struct Plot {
  std::string title;
  std::string x_label;
  std::vector<PlotPanel> panels;
  std::vector<PlotMarker> markers;
};

// Renders the plot as a standalone SVG document. Series with many points
// are reduced to the min and max per horizontal pixel column.
std::string RenderSvg(const Plot& plot, int width = 1000, int panel_height = 200);

// The standard plot of one run (needs RunResult::series): at most
// `max_hosts` hosts are drawn.
Plot RunPlot(const std::string& scenario_name, const RunResult& run, int max_hosts = 8);

// "Nice" tick positions covering [lo, hi] (about `target` of them).
std::vector<double> NiceTicks(double lo, double hi, int target = 5);

}  // namespace sim

#endif  // SIM_SVG_PLOT_H_
