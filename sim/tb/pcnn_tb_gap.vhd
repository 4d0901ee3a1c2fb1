-- pcnn_tb_gap: pcnn_gap against the Python reference (pocket_cnn.reference.gap).
-- Streams G_IMAGES maps of G_PIXELS pixels x G_CH channels (output_path/input.txt:
-- one int8 per line, pixel by pixel, channel fastest) back to back under random
-- input gaps and output backpressure, and checks every result channel against
-- output_path/expected.txt (one int per line, image by image, channel fastest) and
-- m_last = '1'. The GAP constants are generics computed by pocket_cnn.vhdl.gap.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;
use ieee.math_real.all;
use std.textio.all;

library vunit_lib;
context vunit_lib.vunit_context;

library pocket_cnn;

entity pcnn_tb_gap is
  generic (
    runner_cfg  : string;
    output_path : string;          -- set by VUnit; holds input.txt and expected.txt
    G_CH        : positive := 1;   -- channels
    G_PIXELS    : positive := 1;   -- H*W
    G_IMAGES    : positive := 1;   -- images back to back
    G_STALL_IN  : natural  := 0;   -- percent input gaps
    G_STALL_OUT : natural  := 0;   -- percent output backpressure
    G_SEED      : positive := 1;   -- seed of gaps and backpressure
    -- pcnn_gap constants (see rtl/pcnn_gap.vhd)
    G_ACC_BITS : positive := 9;
    G_CLAMP_LO : integer  := -128;
    G_CLAMP_HI : integer  := 127;
    G_MUL_A    : positive := 2;
    G_ADD_B    : natural  := 1;
    G_K_BITS   : positive := 9;
    G_MUL_M    : positive := 1;
    G_M_BITS   : positive := 1;
    G_SHIFT    : positive := 1;
    G_K0       : natural  := 0
  );
end entity pcnn_tb_gap;

architecture sim of pcnn_tb_gap is
  type int_vec_t is array (natural range <>) of integer;
  constant C_IN_TOTAL  : positive := G_IMAGES * G_PIXELS * G_CH;
  constant C_OUT_TOTAL : positive := G_IMAGES * G_CH;

  impure function read_words(name : string; count : positive) return int_vec_t is
    file f       : text open read_mode is name;
    variable l   : line;
    variable v   : integer;
    variable res : int_vec_t(0 to count - 1) := (others => 0);
  begin
    for i in res'range loop
      readline(f, l);
      read(l, v);
      res(i) := v;
    end loop;
    return res;
  end function;

  signal clk : std_logic := '0';
  signal rst : std_logic := '1';
  signal s_valid, s_ready : std_logic := '0';
  signal s_data : std_logic_vector(G_CH * 8 - 1 downto 0) := (others => '0');
  signal m_valid, m_last : std_logic;
  signal m_ready : std_logic := '0';
  signal m_data : std_logic_vector(G_CH * 8 - 1 downto 0);
  signal done : boolean := false;
begin
  clk <= not clk after 5 ns;

  dut : entity pocket_cnn.pcnn_gap
    generic map (
      G_CH => G_CH, G_PIXELS => G_PIXELS, G_ACC_BITS => G_ACC_BITS,
      G_CLAMP_LO => G_CLAMP_LO, G_CLAMP_HI => G_CLAMP_HI, G_MUL_A => G_MUL_A,
      G_ADD_B => G_ADD_B, G_K_BITS => G_K_BITS, G_MUL_M => G_MUL_M, G_M_BITS => G_M_BITS,
      G_SHIFT => G_SHIFT, G_K0 => G_K0)
    port map (clk => clk, rst => rst, s_valid => s_valid, s_ready => s_ready,
              s_data => s_data, m_valid => m_valid, m_ready => m_ready, m_data => m_data,
              m_last => m_last);

  source : process
    constant C_IN : int_vec_t(0 to C_IN_TOTAL - 1) := read_words(output_path & "input.txt",
                                                                 C_IN_TOTAL);
    variable s1 : positive := G_SEED;
    variable s2 : positive := G_SEED + 31;
    variable r  : real;
  begin
    wait until rising_edge(clk);
    wait until rising_edge(clk);
    rst <= '0';
    for p in 0 to G_IMAGES * G_PIXELS - 1 loop
      loop
        uniform(s1, s2, r);
        exit when r * 100.0 >= real(G_STALL_IN);
        s_valid <= '0';
        wait until rising_edge(clk);
      end loop;
      s_valid <= '1';
      for c in 0 to G_CH - 1 loop
        s_data(8 * c + 7 downto 8 * c) <= std_logic_vector(to_signed(C_IN(p * G_CH + c), 8));
      end loop;
      loop
        wait until rising_edge(clk);
        exit when s_ready = '1';
      end loop;
    end loop;
    s_valid <= '0';
    wait;
  end process;

  sink : process
    constant C_EXP : int_vec_t(0 to C_OUT_TOTAL - 1) := read_words(output_path & "expected.txt",
                                                                   C_OUT_TOTAL);
    variable s1 : positive := G_SEED + 3;
    variable s2 : positive := G_SEED + 77;
    variable r  : real;
    variable n  : natural := 0;
  begin
    wait until rst = '0';
    while n < G_IMAGES loop
      uniform(s1, s2, r);
      m_ready <= '0' when r * 100.0 < real(G_STALL_OUT) else '1';
      wait until rising_edge(clk);
      if m_valid = '1' and m_ready = '1' then
        for c in 0 to G_CH - 1 loop
          check_equal(to_integer(signed(m_data(8 * c + 7 downto 8 * c))), C_EXP(n * G_CH + c),
                      "image " & integer'image(n) & " channel " & integer'image(c));
        end loop;
        check_equal(m_last, '1', "m_last");
        n := n + 1;
      end if;
    end loop;
    done <= true;
    wait;
  end process;

  main : process
  begin
    test_runner_setup(runner, runner_cfg);
    wait until done;
    test_runner_cleanup(runner);
  end process;

  test_runner_watchdog(runner, 10 ms);
end architecture sim;
