/** Colours of contact states, shared by the map, the counters, the list and the charts. */
export const STATE_COLOURS = {
  ok: "#2ecc71",
  overdue: "#ffb020",
  lost: "#ff4d4f",
  maintenance: "#7fa7d9",
  unknown: "#a0a7b0",
};

export const TRACK_COLOUR = "#4dd0e1";
