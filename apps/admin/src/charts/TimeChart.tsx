// One chart over time, in a figure named by its caption; the latest figures are also written out,
// so nothing is said by the picture alone.
import type { ReactNode } from 'react';
import { formatClock, formatTime } from '../lib/format';
import { Area, AreaChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export interface Series {
  key: string;
  name: string;
  color: string;
}


export function TimeChart({
  title,
  data,
  xKey,
  series,
  kind = 'line',
  unit,
  summary,
  yDomain,
  dots = false,
}: {
  title: string;
  /** Points over time: `xKey` holds unix ms, each series' `key` a number (or null for none). */
  data: object[];
  xKey: string;
  series: Series[];
  kind?: 'line' | 'area';
  unit?: string;
  summary: ReactNode;
  yDomain?: [number, number];
  /** Marks each point of a line: for series with gaps, where a lone minute would draw no line. */
  dots?: boolean;
}) {
  const id = `chart-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  const axes = (
    <>
      <CartesianGrid strokeDasharray="3 3" stroke="#d6dbe3" />
      <XAxis dataKey={xKey} tickFormatter={(value: number) => formatClock(value)} minTickGap={40} fontSize={11} />
      <YAxis allowDecimals={false} fontSize={11} width={40} unit={unit} {...(yDomain ? { domain: yDomain } : {})} />
      <Tooltip labelFormatter={(value) => formatTime(Number(value))} />
      {series.length > 1 ? <Legend /> : null}
    </>
  );
  return (
    <figure className="chart" aria-labelledby={`${id}-caption`}>
      <figcaption id={`${id}-caption`}>{title}</figcaption>
      <p className="chart-summary">{summary}</p>
      <div className="chart-area" aria-hidden="true">
        {data.length === 0 ? (
          <p className="muted">Collecting figures…</p>
        ) : (
          <ResponsiveContainer width="100%" height={180}>
            {kind === 'area' ? (
              <AreaChart data={data}>
                {axes}
                {series.map((s) => (
                  <Area key={s.key} type="monotone" dataKey={s.key} name={s.name} stroke={s.color} fill={s.color} fillOpacity={0.25} stackId="1" isAnimationActive={false} />
                ))}
              </AreaChart>
            ) : (
              <LineChart data={data}>
                {axes}
                {series.map((s) => (
                  <Line key={s.key} type="monotone" dataKey={s.key} name={s.name} stroke={s.color} dot={dots ? { r: 2 } : false} connectNulls isAnimationActive={false} />
                ))}
              </LineChart>
            )}
          </ResponsiveContainer>
        )}
      </div>
    </figure>
  );
}
