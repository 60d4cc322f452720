# tests/bench/peers/plot.gp — plots for docs/performance.md "Against the peers" (reporting only: reads the summary
# CSVs that tests/bench/peers.sh writes, draws PNGs). usage: gnuplot -e "out='DIR'; img='DIR'" plot.gp
# A part that was not run (no CSV) is skipped.
set datafile separator ","
set terminal pngcairo size 900,420 font "sans,10"
set key top left
set grid ytics
has_file(f) = int(system("test -s '".f."' && echo 1 || echo 0"))

f = out."/program.csv"
if (has_file(f)) {
  set output img."/peers-program.png"
  set terminal pngcairo size 1350,420 font "sans,10"
  set multiplot layout 1,3 title "Programming N CIDRs in N/100 EgressNetworks (median)"
  set logscale xy
  set xlabel "CIDRs"
  set ylabel "wall time (s)"
  set format x "%.0s%c"
  plot "< grep ',init,' ".f using 1:($4) with linespoints lw 2 title "nfegress init", \
       "< grep ',nft,' ".f using 1:($4) with linespoints lw 2 title "nft -f (export)", \
       "< grep ',iptables-nft,' ".f using 1:($4) with linespoints lw 2 title "ip6tables-nft-restore", \
       "< grep ',iptables-legacy,' ".f using 1:($4) with linespoints lw 2 title "ip6tables-legacy-restore"
  set ylabel "peak RSS (MB)"
  plot "< grep ',init,' ".f using 1:($8 / 1024) with linespoints lw 2 title "nfegress init", \
       "< grep ',nft,' ".f using 1:($8 / 1024) with linespoints lw 2 title "nft -f (export)", \
       "< grep ',iptables-nft,' ".f using 1:($8 / 1024) with linespoints lw 2 title "ip6tables-nft-restore", \
       "< grep ',iptables-legacy,' ".f using 1:($8 / 1024) with linespoints lw 2 title "ip6tables-legacy-restore"
  g = out."/program_change.csv"
  set ylabel "one network's 100 prefixes move: wall time (s)"
  plot "< grep ',init,' ".g using 1:($4) with linespoints lw 2 title "nfegress init (full)", \
       "< grep ',nft,' ".g using 1:($4) with linespoints lw 2 title "nft -f (delete + add element)", \
       "< grep ',iptables-nft,' ".g using 1:($4) with linespoints lw 2 title "ip6tables-nft-restore --noflush", \
       "< grep ',iptables-legacy,' ".g using 1:($4) with linespoints lw 2 title "ip6tables-legacy-restore --noflush"
  unset multiplot
  unset logscale; unset format; set format x "% h"
  set terminal pngcairo size 900,420 font "sans,10"
}

set offsets 0.5, 0.5, 0, 0
set style fill solid 0.6 border -1
set boxwidth 0.6
set xtics rotate by -20
f = out."/throughput.csv"
if (has_file(f)) {
  set output img."/peers-throughput.png"
  set title "Established-flow throughput, iperf3 one IPv6 stream over a veth (median; label = ratio to none)"
  set xlabel ""
  set ylabel "Gbit/s"
  set yrange [0:*]
  plot f skip 1 using 0:4:xtic(2) with boxes notitle, \
       f skip 1 using 0:4:(sprintf("%.2f", $5)) with labels offset 0,0.8 notitle
  unset title; set autoscale y
}

f = out."/tls.csv"
if (has_file(f)) {
  set output img."/peers-tls.png"
  set terminal pngcairo size 1100,440 font "sans,10"
  set multiplot layout 1,2 title "New TLS 1.3 connections (connect .. first byte .. close), median; label = ratio to none"
  set ylabel "connections/s"
  set yrange [0:*]
  plot f skip 1 using 0:4:(int($1)):xtic(sprintf("%s t%d", strcol(2), int($1))) with boxes lc variable notitle, \
       f skip 1 using 0:4:(sprintf("%.2f", $5)) with labels offset 0,0.8 notitle
  set ylabel "connect-to-first-byte (ms)"
  set logscale y
  set yrange [*:*]
  plot f skip 1 using 0:6:xtic(sprintf("%s t%d", strcol(2), int($1))) with points pt 7 ps 1.2 title "p50", \
       f skip 1 using 0:8 with points pt 9 ps 1.2 title "p99"
  unset multiplot
}
