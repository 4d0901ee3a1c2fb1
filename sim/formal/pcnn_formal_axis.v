// pcnn_formal_axis: bounded formal check of the network's stream ports (yosys-smtbmc).
// Wraps the ghdl --synth netlist of pcnn_net. Environment (assumed): rst is high in the
// first cycle and free afterwards; the input source keeps s_axis_tvalid, tdata and tlast
// while stalled (unless rst); m_axis_tready, status_clear and status_sel are free.
// Properties (asserted, every cycle of the bound):
//   m_axis: tvalid is not dropped and tdata / tlast hold while stalled (unless rst)
//   reset: the cycle after rst, m_axis_tvalid and status_error are low (idle in one clock)
// Run by scripts/formal_axis.py (read_verilog -formal, prep, write_smt2, yosys-smtbmc).
module pcnn_formal_axis
  (input clk, input rst_in, input [7:0] s_tdata, input s_tvalid, input s_tlast,
   input m_tready, input status_clear, input [1:0] status_sel);
  reg init = 1'b1;
  wire rst = init | rst_in;
  wire s_tready, m_tvalid, m_tlast, status_error;
  wire [7:0] m_tdata, status_count;

  pcnn_net dut (.clk(clk), .rst(rst), .s_axis_tdata(s_tdata), .s_axis_tvalid(s_tvalid),
    .s_axis_tlast(s_tlast), .m_axis_tready(m_tready), .status_clear(status_clear),
    .status_sel(status_sel), .s_axis_tready(s_tready), .m_axis_tdata(m_tdata),
    .m_axis_tvalid(m_tvalid), .m_axis_tlast(m_tlast), .status_count(status_count),
    .status_error(status_error));

  // what each port did at the last clock edge
  reg s_stall = 1'b0, m_stall = 1'b0, rst_q = 1'b0;
  reg [7:0] s_data_q = 8'd0, m_data_q = 8'd0;
  reg s_last_q = 1'b0, m_last_q = 1'b0;
  always @(posedge clk) begin
    init <= 1'b0;
    rst_q <= rst;
    s_stall <= s_tvalid && !s_tready && !rst;
    m_stall <= m_tvalid && !m_tready && !rst;
    s_data_q <= s_tdata;
    s_last_q <= s_tlast;
    m_data_q <= m_tdata;
    m_last_q <= m_tlast;
  end

  always @* begin
    if (!init && s_stall && !rst)
      assume (s_tvalid && s_tdata == s_data_q && s_tlast == s_last_q);
    if (!init && m_stall && !rst)
      assert (m_tvalid && m_tdata == m_data_q && m_tlast == m_last_q);
    if (!init && rst_q)
      assert (!m_tvalid && !status_error);
  end
endmodule
