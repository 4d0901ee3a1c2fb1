-- pcnn_board_tb: VUnit testbench of the UART board top pcnn_board_uart (compile the
-- board files, the generated network and this file into one library).
-- A host model sends G_IMAGES images (output_path/input.txt, one integer per line, the
-- words in stream order) as 8N1 frames into uart_rx, with random idle gaps between
-- bytes and one long pause in the middle of an image; its bit time can be skewed
-- against the board's. A second host model decodes uart_tx (start bit, 8 data bits
-- held stable around mid-bit, stop bit) and checks every byte, as int8, against
-- output_path/expected.txt (written from the Python reference), and after each result
-- the status byte (error flag, results sent modulo 128). With G_BAD_FRAMES a
-- glitch (a false start bit) and a frame with a low stop bit go out before the images:
-- the board must drop both, so the images still line up, and light the RX error LED.
-- pcnn_axis_checker watches the network's two ports inside the board top.
-- At the end: LEDs 1..3 (result toggle parity, RX error, network framing error).
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;
use ieee.math_real.all;

library vunit_lib;
context vunit_lib.vunit_context;

library pocket_cnn;
use pocket_cnn.pcnn_pkg.all;

use work.pcnn_tb_pkg.all;

entity pcnn_board_tb is
  generic (
    runner_cfg      : string;
    output_path     : string;              -- set by VUnit (ends with "/")
    G_CLK_HZ        : positive := 1_000_000;  -- board clock in Hz
    G_BAUD          : positive := 100_000;    -- baud rate of the board
    G_IMAGES        : positive := 3;          -- images sent back to back
    G_IN_WORDS      : positive := 1;          -- input bytes per image
    G_OUT_WORDS     : positive := 1;          -- result bytes per image
    G_GAP_PCT       : natural  := 30;         -- percent of bytes followed by an idle gap
    G_GAP_MAX_BITS  : natural  := 20;         -- longest idle gap, in bit times
    G_PAUSE_BITS    : natural  := 300;        -- pause in the middle of one image, bit times
    G_SKEW_PERMILLE : integer  := 0;          -- host bit time longer (+) or shorter (-)
    G_BAD_FRAMES    : boolean  := false;      -- send a glitch and a bad stop bit first
    G_SEED          : positive := 1;          -- seed of the gaps
    G_ARGMAX        : boolean  := false       -- board top's G_ARGMAX (class answer)
  );
end entity pcnn_board_tb;

architecture sim of pcnn_board_tb is
  constant C_CLK_PERIOD : time := 1 sec / G_CLK_HZ;
  constant C_BIT        : time := 1 sec / G_BAUD;  -- board bit time
  constant C_HOST_BIT   : time := C_BIT * (1000 + G_SKEW_PERMILLE) / 1000;
  constant C_IN_TOTAL   : positive := G_IMAGES * G_IN_WORDS;
  constant C_OUT_TOTAL  : positive := G_IMAGES * G_OUT_WORDS;
  -- the word after which the host pauses: the middle of the middle image
  constant C_PAUSE_AT   : natural := (G_IMAGES / 2) * G_IN_WORDS + G_IN_WORDS / 2;

  signal clk     : std_logic := '0';
  signal stop    : boolean := false;
  signal rst_btn : std_logic := '1';
  signal uart_rx : std_logic := '1';
  signal uart_tx : std_logic;
  signal leds    : std_logic_vector(3 downto 0);
  signal probe   : std_logic_vector(22 downto 0);
  signal got_all : boolean := false;  -- all result bytes received and checked
begin
  clk <= not clk after C_CLK_PERIOD / 2 when not stop;

  dut : entity work.pcnn_board_uart
    generic map (
      G_CLK_HZ => G_CLK_HZ, G_BAUD => G_BAUD, G_RST_ACTIVE => '0', G_POR_CYCLES => 16,
      G_ARGMAX => G_ARGMAX)
    port map (clk => clk, rst_btn => rst_btn, uart_rx => uart_rx, uart_tx => uart_tx,
              leds => leds, o_probe => probe);

  -- AXI4-Stream checkers on the network's ports inside the board top (its probe port)
  u_check_in : entity work.pcnn_axis_checker
    generic map (G_NAME => "board network s_axis")
    port map (clk => clk, rst => probe(21), valid => probe(20), ready => probe(19),
              data => probe(18 downto 11), last => probe(10));

  u_check_out : entity work.pcnn_axis_checker
    generic map (G_NAME => "board network m_axis")
    port map (clk => clk, rst => probe(21), valid => probe(9), ready => probe(8),
              data => probe(7 downto 0), last => probe(22));

  host_tx : process
    constant C_WORDS : pcnn_int_array_t := pcnn_tb_read_ints(output_path & "input.txt");
    variable s1      : positive := G_SEED;
    variable s2      : positive := G_SEED + 7919;
    variable r       : real;

    procedure send(byte : std_logic_vector(7 downto 0); stop_bit : std_logic) is
    begin
      uart_rx <= '0';
      wait for C_HOST_BIT;
      for i in 0 to 7 loop
        uart_rx <= byte(i);
        wait for C_HOST_BIT;
      end loop;
      uart_rx <= stop_bit;
      wait for C_HOST_BIT;
      uart_rx <= '1';
    end procedure;
  begin
    check_equal(C_WORDS'length, C_IN_TOTAL, "words in input.txt");
    -- press the button for a while, then let the power-on counter run out
    rst_btn <= '0';
    wait for 20 * C_CLK_PERIOD;
    rst_btn <= '1';
    wait for 40 * C_CLK_PERIOD + 2 * C_BIT;
    if G_BAD_FRAMES then
      uart_rx <= '0';                    -- glitch: shorter than half a bit
      wait for C_BIT / 4;
      uart_rx <= '1';
      wait for 3 * C_BIT;
      send(x"A5", '0');                  -- frame error: stop bit low
      wait for 2 * C_BIT;
    end if;
    for i in C_WORDS'range loop
      send(std_logic_vector(to_signed(C_WORDS(i), 9)(7 downto 0)), '1');
      pcnn_tb_rand(s1, s2, r);
      if r * 100.0 < real(G_GAP_PCT) then
        pcnn_tb_rand(s1, s2, r);
        wait for C_BIT * integer(r * real(G_GAP_MAX_BITS * 100)) / 100;
      end if;
      if i = C_PAUSE_AT then
        wait for G_PAUSE_BITS * C_BIT;
      end if;
    end loop;
    wait;
  end process;

  host_rx : process
    constant C_EXP : pcnn_int_array_t := pcnn_tb_read_ints(output_path & "expected.txt");
    variable byte  : std_logic_vector(7 downto 0);
    variable t0    : time;

    -- wait until `tenths` tenths of a bit time after the start edge t0
    procedure at(tenths : natural) is
    begin
      wait for t0 + C_BIT * tenths / 10 - now;
    end procedure;

    -- one 8N1 byte off uart_tx, bits checked stable around mid-bit
    procedure receive(variable b : out std_logic_vector(7 downto 0); what : string) is
    begin
      wait until falling_edge(uart_tx);
      t0 := now;
      at(7);
      check(uart_tx = '0' and uart_tx'stable(C_BIT * 4 / 10), "start bit of " & what);
      -- bit i lasts from (1 + i) to (2 + i) bit times: sample it at 1.7 + i and
      -- require it stable since 1.3 + i
      for i in 0 to 7 loop
        at(17 + 10 * i);
        check(uart_tx'stable(C_BIT * 4 / 10),
              "uart_tx changed around mid-bit " & integer'image(i) & " of " & what);
        b(i) := uart_tx;
      end loop;
      at(97);
      check(uart_tx = '1' and uart_tx'stable(C_BIT * 4 / 10), "stop bit of " & what);
    end procedure;
  begin
    check_equal(C_EXP'length, C_OUT_TOTAL, "words in expected.txt");
    for img in 0 to G_IMAGES - 1 loop
      for k in 0 to G_OUT_WORDS - 1 loop
        receive(byte, "result byte " & integer'image(img * G_OUT_WORDS + k));
        check_equal(to_integer(signed(byte)), C_EXP(img * G_OUT_WORDS + k),
                    "image " & integer'image(img) & " result byte " & integer'image(k));
      end loop;
      -- the status byte: sticky error flag, results sent modulo 128
      receive(byte, "status byte of image " & integer'image(img));
      check_equal(byte(7) = '1', G_BAD_FRAMES, "image " & integer'image(img)
                  & ": status byte error flag");
      check_equal(to_integer(unsigned(byte(6 downto 0))), (img + 1) mod 128,
                  "image " & integer'image(img) & ": status byte result count");
    end loop;
    got_all <= true;
    wait;
  end process;

  main : process
    -- generous: every bit time of the traffic, four times over, plus the pauses
    constant C_TIMEOUT : time :=
      4 * C_BIT * (10 + G_GAP_MAX_BITS) * (C_IN_TOTAL + C_OUT_TOTAL + G_IMAGES + 4)
      + 4 * C_BIT * G_PAUSE_BITS + 10 ms;
  begin
    test_runner_setup(runner, runner_cfg);
    wait until got_all for C_TIMEOUT;
    check(got_all, "timeout: not all " & integer'image(C_OUT_TOTAL) & " result bytes came");
    -- nothing more may come after the last result
    wait for 30 * C_BIT;
    check(uart_tx = '1' and uart_tx'stable(29 * C_BIT), "uart_tx busy after the last result");
    check_equal(leds(1) = '1', G_IMAGES mod 2 = 1, "leds(1): result toggle parity");
    check_equal(leds(2) = '1', G_BAD_FRAMES, "leds(2): UART RX error");
    check_equal(leds(3), '0', "leds(3): network framing error");
    info("pcnn_board_tb: " & integer'image(G_IMAGES) & " images, "
         & integer'image(C_OUT_TOTAL) & " result bytes checked, " & to_string(now, ms));
    stop <= true;
    test_runner_cleanup(runner);
  end process;
end architecture sim;
