-- pcnn_stream_tb: pcnn_axis_gather -> pcnn_axis_serialize loopback under random
-- input gaps and output backpressure (pcnn_tb_source, pcnn_tb_sink). The words are a
-- sequence made by the testbench; every output word and tlast (last word of each image)
-- is checked against it with the stream rules, and the whole-pixel beat between the two
-- blocks against the words of the pixel.
-- Without stalls the run must take at most G_IMAGES*G_CH*G_PIXELS + G_CH + 4 cycles (one
-- word per clock). The gather's o_image must pulse once per image, o_bad never (the
-- framing rule itself is tested on whole networks: sim/suites/robust.py).
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

library vunit_lib;
context vunit_lib.vunit_context;

library pocket_cnn;
use pocket_cnn.pcnn_pkg.all;

use work.pcnn_tb_pkg.all;

entity pcnn_stream_tb is
  generic (
    runner_cfg  : string;
    G_CH        : positive := 3;   -- words per pixel
    G_PIXELS    : positive := 5;   -- pixels per image
    G_IMAGES    : positive := 3;   -- images back to back
    G_STALL_IN  : natural  := 0;   -- percent input gaps
    G_STALL_OUT : natural  := 0;   -- percent output backpressure
    G_SEED      : positive := 1    -- seed of gaps and backpressure
  );
end entity pcnn_stream_tb;

architecture sim of pcnn_stream_tb is
  constant C_IMG_WORDS : positive := G_CH * G_PIXELS;
  constant C_TOTAL     : positive := G_IMAGES * C_IMG_WORDS;

  -- word i of the stream (0..255)
  function word(i : natural) return std_logic_vector is
  begin
    return std_logic_vector(to_unsigned((i * 37 + 11) mod 256, 8));
  end function;

  -- all words as signed bytes (what the source sends and the sink expects)
  function words return pcnn_int_array_t is
    variable res : pcnn_int_array_t(0 to C_TOTAL - 1);
  begin
    for i in res'range loop
      res(i) := to_integer(signed(word(i)));
    end loop;
    return res;
  end function;

  constant C_WORDS : pcnn_int_array_t := words;

  signal clk                         : std_logic := '0';
  signal rst                         : std_logic := '1';
  signal s_valid, s_ready, s_last    : std_logic;
  signal s_data                      : std_logic_vector(7 downto 0);
  signal b_valid, b_ready, b_last    : std_logic;
  signal b_data                      : std_logic_vector(G_CH * 8 - 1 downto 0);
  signal m_valid, m_ready, m_last    : std_logic;
  signal m_data                      : std_logic_vector(7 downto 0);
  signal img_p,   bad_p              : std_logic;
  signal images,  bads               : natural := 0;
  signal done_in, done_out           : boolean;
  signal cycles                      : natural; -- sink: cycles up to the last word
begin
  clk <= not clk after 5 ns;

  u_gather : entity pocket_cnn.pcnn_axis_gather
    generic map (G_CH => G_CH, G_PIXELS => G_PIXELS)
    port map (clk => clk, rst => rst, s_valid => s_valid, s_ready => s_ready,
              s_data => s_data, s_last => s_last, m_valid => b_valid, m_ready => b_ready,
              m_data => b_data, m_last => b_last, o_image => img_p, o_bad => bad_p);

  u_ser : entity pocket_cnn.pcnn_axis_serialize
    generic map (G_CH => G_CH, G_PIXELS => G_PIXELS)
    port map (clk => clk, rst => rst, s_valid => b_valid, s_ready => b_ready,
              s_data => b_data, s_last => b_last, m_valid => m_valid, m_ready => m_ready,
              m_data => m_data, m_last => m_last);

  u_source : entity work.pcnn_tb_source
    generic map (G_VALUES => C_WORDS, G_BYTES => 1, G_PER_IMG => C_IMG_WORDS,
                 G_STALL => G_STALL_IN, G_SEED => G_SEED)
    port map (clk => clk, rst => rst, valid => s_valid, ready => s_ready, data => s_data,
              last => s_last, done => done_in);

  u_sink : entity work.pcnn_tb_sink
    generic map (G_EXPECTED => C_WORDS, G_BYTES => 1, G_PER_IMG => C_IMG_WORDS,
                 G_STALL => G_STALL_OUT, G_SEED => G_SEED + 5)
    port map (clk => clk, rst => rst, valid => m_valid, ready => m_ready, data => m_data,
              last => m_last, done => done_out, cycles => cycles);

  -- the pixel beat carries channel c of pixel p in bits 8c+7..8c
  beat_check : process
    variable p : natural := 0;
  begin
    wait until rising_edge(clk);
    if b_valid = '1' and b_ready = '1' then
      for c in 0 to G_CH - 1 loop
        check_equal(b_data(8 * c + 7 downto 8 * c), word(p * G_CH + c), "beat channel");
      end loop;
      check_equal(b_last, (p mod G_PIXELS) = G_PIXELS - 1, "beat last");
      p := p + 1;
    end if;
  end process;

  count : process (clk)
  begin
    if rising_edge(clk) then
      if img_p = '1' then
        images <= images + 1;
      end if;
      if bad_p = '1' then
        bads <= bads + 1;
      end if;
    end if;
  end process;

  main : process
  begin
    test_runner_setup(runner, runner_cfg);
    pcnn_tb_reset(clk, rst);
    wait until done_out;
    check(done_in, "input not fully consumed");
    if G_STALL_IN = 0 and G_STALL_OUT = 0 then
      check(cycles <= C_TOTAL + G_CH + 4, "full rate: " & integer'image(cycles) & " cycles for "
            & integer'image(C_TOTAL) & " words");
    end if;
    wait until rising_edge(clk);
    check_equal(images, G_IMAGES, "o_image pulses");
    check_equal(bads, 0, "o_bad pulses");
    test_runner_cleanup(runner);
  end process;

  test_runner_watchdog(runner, 1 ms);
end architecture sim;
