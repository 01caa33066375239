#include "sim/report.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/svg_plot.h"

namespace sim {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

RunResult MakeRun(uint64_t seed, double rms, std::optional<double> converge, bool passed) {
  RunResult r;
  r.seed = seed;
  r.digest = "d" + std::to_string(seed);
  r.simulated_s = 100;
  HostSummary h;
  h.name = "client";
  h.converge_s = converge;
  h.rms_offset_s = rms;
  h.max_abs_offset_s = 2 * rms;
  h.rms_freq_ppm = 0.5;
  h.steps = static_cast<int>(seed % 2);
  h.requests_sent = 40 + seed;
  h.polls_log2 = {6, 10};
  r.hosts.push_back(h);
  r.checks.push_back(CheckResult{"converge/client", "client", passed, "detail \"q\"", "f:1"});
  return r;
}

TEST(ReportTest, Percentile) {
  EXPECT_EQ(Percentile({3, 1, 2}, 50), 2);
  EXPECT_EQ(Percentile({1, 2, 3, 4}, 50), 2.5);
  EXPECT_NEAR(Percentile({0, 10}, 95), 9.5, 1e-12);
  EXPECT_EQ(Percentile({5}, 95), 5);
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(Percentile({1, inf, inf}, 50), inf);
}

TEST(ReportTest, SingleSeedSummaryHasTheIssuesShape) {
  const std::string json = SummaryJson("demo", {MakeRun(7, 0.001, 12.5, true)});
  EXPECT_THAT(json, HasSubstr("\"scenario\": \"demo\""));
  EXPECT_THAT(json, HasSubstr("\"seeds\": [7]"));
  EXPECT_THAT(json, HasSubstr("\"client\": {\"converge_s\": 12.5, \"rms_offset_s\": 0.001, "
                              "\"max_abs_offset_s\": 0.002, \"rms_freq_ppm\": 0.5, \"steps\": 1, "
                              "\"requests_sent\": 47, \"exit\": \"running\""));
  // Each association's final poll in the run's own object.
  EXPECT_THAT(json, HasSubstr("\"requests_sent\": 47, \"polls_log2\": [6, 10], \"exit\""));
  EXPECT_THAT(json, HasSubstr("{\"name\": \"converge/client\", \"passed\": true, "
                              "\"failed_seeds\": []}"));
  EXPECT_THAT(json, HasSubstr("\"digest\": \"d7\""));
  EXPECT_THAT(json, HasSubstr("\"detail\": \"detail \\\"q\\\"\""));
}

TEST(ReportTest, SeveralSeedsGiveMedianAndP95) {
  const std::string json = SummaryJson(
      "demo", {MakeRun(1, 0.001, 10, true), MakeRun(2, 0.003, std::nullopt, false),
               MakeRun(3, 0.002, 30, true)});
  EXPECT_THAT(json, HasSubstr("\"seeds\": [1, 2, 3]"));
  // Median converge of {10, 30, never} is 30; p95 is never (null).
  EXPECT_THAT(json, HasSubstr("\"converge_s\": 30, \"rms_offset_s\": 0.002"));
  EXPECT_THAT(json, HasSubstr("\"p95\": {\"converge_s\": null, \"rms_offset_s\": 0.0029"));
  EXPECT_THAT(json, HasSubstr("\"passed\": false, \"failed_seeds\": [2]"));
  EXPECT_THAT(json, Not(HasSubstr("\"digest\": \"d1\",\n  \"runs\"")));
  EXPECT_THAT(json, HasSubstr("{\"seed\": 2, \"hosts\": {\"client\": {\"converge_s\": null"));
}

TEST(ReportTest, CsvRowsCarryTheirEvents) {
  HostSeries s;
  s.name = "h";
  s.peers = {"192.0.2.1"};
  s.events = {{0.5, "clock_step", "+0.1 s"}, {0.7, "sync", "new peer, \"x\""}};
  SeriesPoint p0;
  p0.t_s = 0;
  p0.events_end = 0;
  SeriesPoint p1;
  p1.t_s = 1;
  p1.true_offset_s = 1e-6;
  p1.selected = 0;
  p1.association_polls = "6 10";
  p1.requests_sent = 12;
  p1.events_end = 2;
  s.points = {p0, p1};
  std::ostringstream out;
  WriteSeriesCsv(s, out);
  std::vector<std::string> lines;
  std::istringstream in(out.str());
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_THAT(lines[0], HasSubstr("t_s,true_offset_s,est_offset_s"));
  EXPECT_THAT(lines[1], HasSubstr("0.000000,0,0,"));
  EXPECT_THAT(lines[0], HasSubstr(",selected,association_polls,requests_sent,events"));
  EXPECT_THAT(lines[2], HasSubstr(",192.0.2.1,6 10,12,\"clock_step: +0.1 s | sync: new peer, \"\"x\"\"\""));
}

TEST(SvgTest, NiceTicks) {
  EXPECT_THAT(NiceTicks(0, 10, 5), ElementsAre(0, 2, 4, 6, 8, 10));
  EXPECT_THAT(NiceTicks(-0.003, 0.0021, 5), ElementsAre(-0.002, 0, 0.002));
  const std::vector<double> fine = NiceTicks(-0.003, 0.0021, 10);
  ASSERT_EQ(fine.size(), 6u);
  EXPECT_DOUBLE_EQ(fine[0], -0.003);
  EXPECT_DOUBLE_EQ(fine[5], 0.002);
  EXPECT_TRUE(NiceTicks(1, 1).empty());
}

TEST(SvgTest, RendersPanelsSeriesAndMarkers) {
  Plot plot;
  plot.title = "t <&>";
  plot.x_label = "time";
  PlotPanel panel{"offset", false, {}};
  PlotSeries series{"a", "#123456", false, {}};
  for (int i = 0; i < 10000; ++i) series.points.push_back({i * 0.1, std::sin(i * 0.01)});
  panel.series.push_back(series);
  plot.panels = {panel, PlotPanel{"log", true, {series}}};
  plot.markers.push_back({500, "#ff0000", "step"});
  const std::string svg = RenderSvg(plot, 800, 150);
  EXPECT_THAT(svg, HasSubstr("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(svg, HasSubstr("t &lt;&amp;&gt;"));
  EXPECT_THAT(svg, HasSubstr("stroke=\"#123456\""));
  EXPECT_THAT(svg, HasSubstr(">step</text>"));
  EXPECT_THAT(svg, HasSubstr("1e-3"));  // a log-scale tick label
  EXPECT_TRUE(svg.ends_with("</svg>\n"));
  // 10000 points are reduced to at most two per pixel column.
  const size_t polyline = svg.find("<polyline");
  const size_t end = svg.find("/>", polyline);
  const std::string points = svg.substr(polyline, end - polyline);
  EXPECT_LT(std::count(points.begin(), points.end(), ','), 2 * 800);
}

TEST(SvgTest, RunPlotHasFourPanelsAndEventMarkers) {
  RunResult run;
  run.seed = 3;
  run.simulated_s = 10;
  HostSeries s;
  s.name = "c";
  for (int i = 0; i <= 10; ++i) {
    SeriesPoint p;
    p.t_s = i;
    p.true_offset_s = 0.01 / (i + 1);
    s.points.push_back(p);
  }
  s.events = {{4, "clock_step", "+1 s"}, {5, "info", "ignored"}};
  run.series = {s};
  run.faults = {{6, "host down server"}};
  const Plot plot = RunPlot("scn", run);
  EXPECT_EQ(plot.title, "scn (seed 3)");
  ASSERT_EQ(plot.panels.size(), 4u);
  EXPECT_TRUE(plot.panels[1].log_y);
  ASSERT_EQ(plot.markers.size(), 2u);
  EXPECT_EQ(plot.markers[0].label, "clock_step c");
  EXPECT_EQ(plot.markers[1].label, "host down server");
}

}  // namespace
}  // namespace sim
