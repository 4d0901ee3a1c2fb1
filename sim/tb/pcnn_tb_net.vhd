-- pcnn_tb_net: the network testbench (plain VHDL-2008 + std.textio, no VUnit needed).
-- Instantiates entity work.pcnn_net (compile the generated files + this file into one
-- library), streams G_IMAGES images back to back from G_IN_FILE, checks every output
-- word and every tlast against G_EXP_FILE, checks the AXI4-Stream rule on the output
-- (data/last stable while valid and not ready), runs the AXI4-Stream checker
-- pcnn_axis_checker on both ports and reports PASS or the first mismatch (image, word,
-- got, expected, the cycle the word left the core).
-- It measures the cycles between consecutive output-image ends; the last difference
-- of a run without stalls is the steady-state cycles per image, reported against the
-- bound G_IN_WORDS (one input word per clock).
-- Files: one integer word per line (input: uint8 0..255 or int8, output: int8).
-- Result file (G_RESULT_FILE, skipped when ""), one record per line:
--   word <value>                          every output word, in order
--   image <index> <end_cycle> <cycles>    per image: cycle of its last output word
--                                         and cycles since the previous image end
--                                         (image 0: since the first input word)
--   steady <cycles> <bound>               last image-to-image difference (-1 if < 2 images)
--   status PASS | status FAIL <reason>
-- Ends with std.env.finish when G_FINISH (plain runs), else raises o_done (wrappers);
-- any failure ends the run with severity failure (non-zero exit code).
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;
use ieee.math_real.all;
use std.textio.all;

entity pcnn_tb_net is
  generic (
    G_IN_FILE     : string   := "input.txt";     -- input words, one integer per line
    G_EXP_FILE    : string   := "expected.txt";  -- expected output words, one per line
    G_RESULT_FILE : string   := "";              -- result file ("" = do not write)
    G_IMAGES      : positive := 1;               -- images streamed back to back
    G_IN_WORDS    : positive := 1;               -- input words per image (C*H*W)
    G_OUT_WORDS   : positive := 1;               -- output words per image
    G_STALL_IN    : natural  := 0;   -- percent: chance of an input gap each cycle (0 = none)
    G_STALL_OUT   : natural  := 0;   -- percent: chance of m_axis_tready low each cycle (0 = none)
    G_SEED        : positive := 1;   -- seed of the random gaps and backpressure
    G_TIMEOUT     : natural  := 0;   -- cycle limit, 0 = 200 * (images + 2) * (in + out words)
    G_FINISH      : boolean  := true -- call std.env.finish after PASS
  );
  port (
    o_done : out boolean := false;  -- all words checked (for wrapper testbenches)
    o_pass : out boolean := false   -- ... and everything matched
  );
end entity pcnn_tb_net;

architecture sim of pcnn_tb_net is
  constant C_PERIOD    : time := 10 ns;
  constant C_IN_TOTAL  : positive := G_IMAGES * G_IN_WORDS;
  constant C_OUT_TOTAL : positive := G_IMAGES * G_OUT_WORDS;
  type int_vec_t is array (natural range <>) of integer;

  impure function read_words(name : string; count : positive) return int_vec_t is
    file f       : text;
    variable st  : file_open_status;
    variable l   : line;
    variable v   : integer;
    variable ok  : boolean;
    variable res : int_vec_t(0 to count - 1) := (others => 0);
    variable n   : natural := 0;
  begin
    file_open(st, f, name, read_mode);
    assert st = open_ok report "pcnn_tb_net: cannot open " & name severity failure;
    while not endfile(f) and n < count loop
      readline(f, l);
      read(l, v, ok);
      if ok then
        res(n) := v;
        n := n + 1;
      end if;
    end loop;
    file_close(f);
    assert n = count
      report "pcnn_tb_net: " & name & " holds " & integer'image(n) & " words, expected "
             & integer'image(count)
      severity failure;
    return res;
  end function;

  function timeout_cycles return positive is
  begin
    if G_TIMEOUT > 0 then
      return G_TIMEOUT;
    end if;
    return 200 * (G_IMAGES + 2) * (G_IN_WORDS + G_OUT_WORDS);
  end function;

  signal clk   : std_logic := '0';
  signal rst   : std_logic := '1';
  signal cycle : natural := 0;
  signal stop  : boolean := false;

  signal s_tdata  : std_logic_vector(7 downto 0) := (others => '0');
  signal s_tvalid : std_logic := '0';
  signal s_tready : std_logic;
  signal s_tlast  : std_logic := '0';
  signal m_tdata  : std_logic_vector(7 downto 0);
  signal m_tvalid : std_logic;
  signal m_tready : std_logic := '0';
  signal m_tlast  : std_logic;
  signal first_in : integer := -1;  -- cycle of the first accepted input word
begin
  clk <= not clk after C_PERIOD / 2 when not stop;

  dut : entity work.pcnn_net
    port map (
      clk => clk, rst => rst,
      s_axis_tdata => s_tdata, s_axis_tvalid => s_tvalid, s_axis_tready => s_tready,
      s_axis_tlast => s_tlast,
      m_axis_tdata => m_tdata, m_axis_tvalid => m_tvalid, m_axis_tready => m_tready,
      m_axis_tlast => m_tlast);

  u_check_in : entity work.pcnn_axis_checker
    generic map (G_NAME => "s_axis")
    port map (clk => clk, rst => rst, valid => s_tvalid, ready => s_tready, data => s_tdata,
              last => s_tlast);

  u_check_out : entity work.pcnn_axis_checker
    generic map (G_NAME => "m_axis")
    port map (clk => clk, rst => rst, valid => m_tvalid, ready => m_tready, data => m_tdata,
              last => m_tlast);

  cycle_count : process (clk)
  begin
    if rising_edge(clk) then
      cycle <= cycle + 1;
      if s_tvalid = '1' and s_tready = '1' and first_in < 0 then
        first_in <= cycle;
      end if;
    end if;
  end process;

  source : process
    constant C_WORDS : int_vec_t(0 to C_IN_TOTAL - 1) := read_words(G_IN_FILE, C_IN_TOTAL);
    variable s1, s2  : positive := G_SEED;
    variable r       : real;
  begin
    s2 := G_SEED + 7919;
    rst <= '1';
    for i in 1 to 4 loop
      wait until rising_edge(clk);
    end loop;
    rst <= '0';
    for i in C_WORDS'range loop
      loop
        uniform(s1, s2, r);
        exit when r * 100.0 >= real(G_STALL_IN);
        s_tvalid <= '0';
        wait until rising_edge(clk);
      end loop;
      s_tvalid <= '1';
      s_tdata  <= std_logic_vector(to_signed(C_WORDS(i), 9)(7 downto 0));
      s_tlast  <= '1' when i mod G_IN_WORDS = G_IN_WORDS - 1 else '0';
      loop
        wait until rising_edge(clk);
        exit when s_tready = '1';
      end loop;
    end loop;
    s_tvalid <= '0';
    s_tlast  <= '0';
    wait;
  end process;

  sink : process
    constant C_EXP   : int_vec_t(0 to C_OUT_TOTAL - 1) := read_words(G_EXP_FILE, C_OUT_TOTAL);
    variable got     : int_vec_t(0 to C_OUT_TOTAL - 1) := (others => 0);
    variable ends    : int_vec_t(0 to G_IMAGES - 1) := (others => 0);
    variable n       : natural := 0;
    variable s1, s2  : positive := 1;
    variable r       : real;
    variable fail    : line;        -- first failure (empty = none)

    variable was_stalled : boolean := false;
    variable last_data   : std_logic_vector(7 downto 0);
    variable last_last   : std_logic;
    variable exp_last    : std_logic;
    variable steady      : integer := -1;
    variable img, idx    : natural;

    file f      : text;
    variable l  : line;
    variable st : file_open_status;

    procedure note_fail(msg : string) is
    begin
      if fail = null then
        write(fail, msg);
      end if;
    end procedure;
  begin
    s1 := G_SEED + 104729;
    s2 := G_SEED + 1299709;
    wait until rst = '0';
    while n < C_OUT_TOTAL loop
      -- choose tready for the next cycle
      uniform(s1, s2, r);
      if r * 100.0 < real(G_STALL_OUT) then
        m_tready <= '0';
      else
        m_tready <= '1';
      end if;
      wait until rising_edge(clk);
      if cycle > timeout_cycles then
        note_fail("timeout after " & integer'image(cycle) & " cycles with "
                  & integer'image(n) & " of " & integer'image(C_OUT_TOTAL) & " words");
        exit;
      end if;
      if was_stalled and (m_tvalid /= '1' or m_tdata /= last_data or m_tlast /= last_last) then
        note_fail("m_axis changed while valid and not ready at word " & integer'image(n));
      end if;
      was_stalled := m_tvalid = '1' and m_tready = '0';
      last_data := m_tdata;
      last_last := m_tlast;
      if m_tvalid = '1' and m_tready = '1' then
        img := n / G_OUT_WORDS;
        idx := n mod G_OUT_WORDS;
        got(n) := to_integer(signed(m_tdata));
        if got(n) /= C_EXP(n) then
          note_fail("mismatch at image " & integer'image(img) & " word " & integer'image(idx)
                    & ": got " & integer'image(got(n)) & ", expected "
                    & integer'image(C_EXP(n)) & ", left the core at cycle "
                    & integer'image(cycle));
        end if;
        exp_last := '1' when idx = G_OUT_WORDS - 1 else '0';
        if m_tlast /= exp_last then
          note_fail("tlast is " & std_logic'image(m_tlast) & " at image " & integer'image(img)
                    & " word " & integer'image(idx));
        end if;
        if idx = G_OUT_WORDS - 1 then
          ends(img) := cycle;
        end if;
        n := n + 1;
      end if;
    end loop;
    m_tready <= '0';
    if G_IMAGES >= 2 and n = C_OUT_TOTAL then
      steady := ends(G_IMAGES - 1) - ends(G_IMAGES - 2);
    end if;

    if G_RESULT_FILE /= "" then
      file_open(st, f, G_RESULT_FILE, write_mode);
      assert st = open_ok report "pcnn_tb_net: cannot write " & G_RESULT_FILE severity failure;
      for i in 0 to n - 1 loop
        write(l, string'("word "));
        write(l, got(i));
        writeline(f, l);
      end loop;
      for i in 0 to n / G_OUT_WORDS - 1 loop
        write(l, "image " & integer'image(i) & " " & integer'image(ends(i)) & " ");
        if i = 0 then
          write(l, ends(0) - first_in);
        else
          write(l, ends(i) - ends(i - 1));
        end if;
        writeline(f, l);
      end loop;
      write(l, "steady " & integer'image(steady) & " " & integer'image(G_IN_WORDS));
      writeline(f, l);
      if fail = null then
        write(l, string'("status PASS"));
      else
        write(l, "status FAIL " & fail.all);
      end if;
      writeline(f, l);
      file_close(f);
    end if;

    report "pcnn_tb_net: steady-state " & integer'image(steady) & " cycles/image, bound "
           & integer'image(G_IN_WORDS) & " (stalls in/out " & integer'image(G_STALL_IN)
           & "/" & integer'image(G_STALL_OUT) & " %)";
    assert fail = null report "pcnn_tb_net: FAIL: " & fail.all severity failure;
    report "pcnn_tb_net: PASS, " & integer'image(G_IMAGES) & " images, "
           & integer'image(n) & " words";
    o_pass <= true;
    o_done <= true;
    stop   <= true;
    if G_FINISH then
      std.env.finish;
    end if;
    wait;
  end process;
end architecture sim;
