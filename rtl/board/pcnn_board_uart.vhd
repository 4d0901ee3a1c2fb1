-- pcnn_board_uart: board top that makes the network usable with only a UART.
--   uart_rx -> pcnn_uart_rx -> input FIFO -> pcnn_net s_axis (tlast by count)
--   pcnn_net m_axis -> output FIFO -> pcnn_uart_tx -> uart_tx
-- Host protocol (no framing bytes): the host sends the C*H*W bytes of an image in
-- stream order (channel fastest, then column, then row; uint8, or int8 as two's
-- complement), then reads C_OUT_WORDS result bytes (int8, two's complement) and one
-- status byte: bit 7 the sticky error flag (leds(2) or leds(3) lit), bits 6..0 the
-- number of results sent since reset, modulo 128 (this one included). The next
-- image may follow the previous one at once: the input FIFO holds one whole image and
-- the output FIFO one whole result, so neither side waits for the other. Image
-- boundaries are counted (C_IN_WORDS words per image), so after a lost or extra byte
-- only a reset puts host and board back in step.
-- Class answer (G_ARGMAX): a network generated with argmax (generator parameter
-- argmax: true, pcnn_argmax at its end) makes the result the class index, one byte per
-- result pixel: for a classifier the board answers every image with one byte, the
-- class, then the status byte. G_ARGMAX states that the board is built for that
-- answer: elaboration (simulation and synthesis) stops if the network's result pixels
-- are wider than one byte (C_OUT_CH /= 1, a network generated without argmax).
-- Clock: everything runs on clk, the board oscillator. A board that needs another
-- frequency puts a PLL wrapper in front: the PLL output into clk, rst_btn held active
-- until the PLL is locked, and G_CLK_HZ set to the PLL output frequency.
-- Reset: rst_btn (polarity G_RST_ACTIVE) is synchronised; the internal reset is held
-- for G_POR_CYCLES clocks after configuration and after every release of the button,
-- so a board whose button is never pressed starts by itself.
-- LEDs (G_LED_ON = level of a lit LED):
--   leds(0) heartbeat, about 1 Hz
--   leds(1) toggles at every result the network finishes (last output word taken)
--   leds(2) sticky: UART RX error (a stop bit was low, or a byte came while the input
--           FIFO was full and was lost)
--   leds(3) sticky: network error (the network's status_error: an image broke the
--           framing rule; or m_axis_tlast disagreed with the count of C_OUT_WORDS words)
-- The network is the generated entity pcnn_net with its package pcnn_net_pkg, both in
-- the library of this file (pocket_cnn in the core's filesets); the FIFOs are
-- pocket_cnn.pcnn_fifo (fileset rtl).
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

library pocket_cnn;

use work.pcnn_net_pkg.all;

entity pcnn_board_uart is
  generic (
    G_CLK_HZ     : positive  := 12_000_000;  -- frequency of clk in Hz
    G_BAUD       : positive  := 115_200;     -- UART baud rate, both directions
    G_RST_ACTIVE : std_logic := '0';         -- level of rst_btn while pressed
    G_POR_CYCLES : positive  := 1024;        -- clocks of reset after start-up/release
    -- FIFO depths: one image in, one result out; at least 2 (pcnn_fifo's pointers)
    G_IN_DEPTH   : positive  := maximum(2, C_IN_WORDS);   -- input FIFO words
    G_OUT_DEPTH  : positive  := maximum(2, C_OUT_WORDS);  -- output FIFO words
    G_LED_ON     : std_logic := '1';         -- leds level of a lit LED
    G_ARGMAX     : boolean   := false        -- true: the network answers with the class
  );
  port (
    -- clock and reset button
    clk     : in  std_logic;                      -- board oscillator (or PLL output)
    rst_btn : in  std_logic;                      -- reset button, asynchronous
    -- UART pins
    uart_rx : in  std_logic;                      -- from the host (idle high)
    uart_tx : out std_logic;                      -- to the host (idle high)
    -- status LEDs
    leds    : out std_logic_vector(3 downto 0);   -- see the header
    -- the network's stream ports, for testbench protocol checks (leave open): bit 22
    -- m_last, 21 rst, 20 s_valid, 19 s_ready, 18..11 s_data, 10 s_last, 9 m_valid,
    -- 8 m_ready, 7..0 m_data
    o_probe : out std_logic_vector(22 downto 0)
  );
end entity pcnn_board_uart;

architecture rtl of pcnn_board_uart is
  constant C_BEAT_HALF : positive := G_CLK_HZ / 2;  -- heartbeat: toggle every 0.5 s

  -- reset
  signal btn_meta : std_logic := not G_RST_ACTIVE;
  signal btn_sync : std_logic := not G_RST_ACTIVE;
  signal por_cnt  : natural range 0 to G_POR_CYCLES := 0;
  signal rst      : std_logic := '1';

  -- UART RX -> input FIFO -> network
  signal rx_valid   : std_logic;
  signal rx_data    : std_logic_vector(7 downto 0);
  signal frame_err  : std_logic;
  signal in_ready   : std_logic;
  signal overflow   : std_logic := '0';
  signal s_valid    : std_logic;
  signal s_ready    : std_logic;
  signal s_data     : std_logic_vector(7 downto 0);
  signal s_last     : std_logic;
  signal in_cnt     : natural range 0 to C_IN_WORDS - 1 := 0;

  -- network -> output FIFO -> UART TX
  signal m_valid    : std_logic;
  signal m_ready    : std_logic;
  signal m_data     : std_logic_vector(7 downto 0);
  signal m_last     : std_logic;
  signal out_cnt    : natural range 0 to C_OUT_WORDS - 1 := 0;
  signal net_err    : std_logic := '0';
  signal done_tgl   : std_logic := '0';
  signal net_status : std_logic;
  signal q_valid    : std_logic;
  signal q_ready    : std_logic;
  signal q_data     : std_logic_vector(7 downto 0);
  signal tx_valid   : std_logic;
  signal tx_ready   : std_logic;
  signal tx_data    : std_logic_vector(7 downto 0);

  -- status byte after each result: result bytes handed to TX, results sent, error
  signal tx_cnt     : natural range 0 to C_OUT_WORDS - 1 := 0;
  signal tx_stat    : std_logic := '0';
  signal res_cnt    : unsigned(6 downto 0) := (others => '0');
  signal any_err    : std_logic;

  -- heartbeat
  signal beat_cnt   : natural range 0 to C_BEAT_HALF - 1 := 0;
  signal beat       : std_logic := '0';
  signal lit        : std_logic_vector(3 downto 0);  -- '1' = LED lit
begin
  assert C_OUT_CH = 1 or not G_ARGMAX
    report "pcnn_board_uart: G_ARGMAX needs a network generated with argmax: true (its "
           & "result pixels have " & integer'image(C_OUT_CH) & " words, not 1 class index)"
    severity failure;

  -- Reset: synchronised button, then a counter that holds rst for G_POR_CYCLES clocks.
  reset : process (clk)
  begin
    if rising_edge(clk) then
      btn_meta <= rst_btn;
      btn_sync <= btn_meta;
      if btn_sync = G_RST_ACTIVE then
        por_cnt <= 0;
        rst     <= '1';
      elsif por_cnt /= G_POR_CYCLES then
        por_cnt <= por_cnt + 1;
        rst     <= '1';
      else
        rst <= '0';
      end if;
    end if;
  end process;

  u_rx : entity work.pcnn_uart_rx
    generic map (G_CLK_HZ => G_CLK_HZ, G_BAUD => G_BAUD)
    port map (
      clk => clk, rst => rst, i_rx => uart_rx,
      m_valid => rx_valid, m_data => rx_data, o_frame_err => frame_err);

  u_in_fifo : entity pocket_cnn.pcnn_fifo
    generic map (G_WIDTH => 8, G_DEPTH => G_IN_DEPTH)
    port map (
      clk => clk, rst => rst,
      s_valid => rx_valid, s_ready => in_ready, s_data => rx_data,
      m_valid => s_valid, m_ready => s_ready, m_data => s_data);

  -- Input framing by count; a byte that finds the input FIFO full is lost (flagged).
  s_last <= '1' when in_cnt = C_IN_WORDS - 1 else '0';

  in_side : process (clk)
  begin
    if rising_edge(clk) then
      if rst = '1' then
        in_cnt   <= 0;
        overflow <= '0';
      else
        if rx_valid = '1' and in_ready = '0' then
          overflow <= '1';
        end if;
        if s_valid = '1' and s_ready = '1' then
          in_cnt <= 0 when in_cnt = C_IN_WORDS - 1 else in_cnt + 1;
        end if;
      end if;
    end if;
  end process;

  u_net : entity work.pcnn_net
    port map (
      clk => clk, rst => rst,
      s_axis_tdata => s_data, s_axis_tvalid => s_valid, s_axis_tready => s_ready,
      s_axis_tlast => s_last,
      m_axis_tdata => m_data, m_axis_tvalid => m_valid, m_axis_tready => m_ready,
      m_axis_tlast => m_last, status_error => net_status);

  -- Output framing check and the result-done toggle.
  out_side : process (clk)
    variable img_end : boolean;
  begin
    if rising_edge(clk) then
      if rst = '1' then
        out_cnt  <= 0;
        net_err  <= '0';
        done_tgl <= '0';
      elsif m_valid = '1' and m_ready = '1' then
        img_end := out_cnt = C_OUT_WORDS - 1;
        if (m_last = '1') /= img_end then
          net_err <= '1';
        end if;
        if img_end then
          out_cnt  <= 0;
          done_tgl <= not done_tgl;
        else
          out_cnt <= out_cnt + 1;
        end if;
      end if;
    end if;
  end process;

  u_out_fifo : entity pocket_cnn.pcnn_fifo
    generic map (G_WIDTH => 8, G_DEPTH => G_OUT_DEPTH)
    port map (
      clk => clk, rst => rst,
      s_valid => m_valid, s_ready => m_ready, s_data => m_data,
      m_valid => q_valid, m_ready => q_ready, m_data => q_data);

  -- TX: the result bytes from the output FIFO, then the status byte.
  any_err  <= frame_err or overflow or net_err or net_status;
  tx_valid <= '1' when tx_stat = '1' else q_valid;
  tx_data  <= any_err & std_logic_vector(res_cnt) when tx_stat = '1' else q_data;
  q_ready  <= tx_ready and not tx_stat;

  tx_side : process (clk)
  begin
    if rising_edge(clk) then
      if rst = '1' then
        tx_cnt  <= 0;
        tx_stat <= '0';
        res_cnt <= (others => '0');
      elsif tx_valid = '1' and tx_ready = '1' then
        if tx_stat = '1' then
          tx_stat <= '0';
        elsif tx_cnt = C_OUT_WORDS - 1 then
          tx_cnt  <= 0;
          tx_stat <= '1';
          res_cnt <= res_cnt + 1;
        else
          tx_cnt <= tx_cnt + 1;
        end if;
      end if;
    end if;
  end process;

  u_tx : entity work.pcnn_uart_tx
    generic map (G_CLK_HZ => G_CLK_HZ, G_BAUD => G_BAUD)
    port map (
      clk => clk, rst => rst,
      s_valid => tx_valid, s_ready => tx_ready, s_data => tx_data, o_tx => uart_tx);

  heartbeat : process (clk)
  begin
    if rising_edge(clk) then
      if beat_cnt = C_BEAT_HALF - 1 then
        beat_cnt <= 0;
        beat     <= not beat;
      else
        beat_cnt <= beat_cnt + 1;
      end if;
    end if;
  end process;

  o_probe <= m_last & rst & s_valid & s_ready & s_data & s_last & m_valid & m_ready & m_data;

  lit  <= (3 => net_err or net_status, 2 => frame_err or overflow, 1 => done_tgl, 0 => beat);
  leds <= lit when G_LED_ON = '1' else not lit;
end architecture rtl;
