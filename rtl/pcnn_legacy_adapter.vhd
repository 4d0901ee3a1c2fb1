-- pcnn_legacy_adapter: the original pocket-cnn port protocol in front of the stream top.
-- Legacy side (as in the original top): isl_start pulses once before each image and
-- resets the network (it drives o_rst); the host waits for osl_rdy = '1', then sends
-- one pixel (G_BURST words, one per clock, isl_valid = '1'); isl_get = '1' lets the
-- result out; a result word is transferred in every cycle with osl_valid = '1';
-- osl_finish rises after the last result word of the image and stays high (and
-- osl_rdy low) until the next isl_start. A pcnn_fifo (2 * G_BURST words in its array)
-- absorbs a whole burst, so osl_rdy only needs room for one pixel. tlast towards the
-- stream top is generated from the count (G_IMAGE_WORDS words per image).
library ieee;
use ieee.std_logic_1164.all;

library pocket_cnn;

entity pcnn_legacy_adapter is
  generic (
    G_BURST       : positive := 1;  -- words per input pixel (input channels)
    G_IMAGE_WORDS : positive := 1   -- words per input image (C*H*W)
  );
  port (
    -- legacy inputs: clock, result enable, image start, pixel words
    isl_clk    : in  std_logic;
    isl_get    : in  std_logic;
    isl_start  : in  std_logic;
    isl_valid  : in  std_logic;
    islv_data  : in  std_logic_vector(7 downto 0);
    -- legacy outputs: result words, ready for one pixel, all results out
    oslv_data  : out std_logic_vector(7 downto 0);
    osl_valid  : out std_logic;
    osl_rdy    : out std_logic;
    osl_finish : out std_logic;
    -- reset of the stream top (isl_start)
    o_rst         : out std_logic;
    -- to the stream top's input (tlast by count)
    m_axis_tdata  : out std_logic_vector(7 downto 0);
    m_axis_tvalid : out std_logic;
    m_axis_tready : in  std_logic;
    m_axis_tlast  : out std_logic;
    -- from the stream top's output (tready = isl_get)
    s_axis_tdata  : in  std_logic_vector(7 downto 0);
    s_axis_tvalid : in  std_logic;
    s_axis_tready : out std_logic;
    s_axis_tlast  : in  std_logic
  );
end entity pcnn_legacy_adapter;

architecture rtl of pcnn_legacy_adapter is
  constant C_DEPTH : positive := 2 * G_BURST;
  -- words in the FIFO (its array plus its output register)
  signal fill     : natural range 0 to C_DEPTH + 1 := 0;
  signal words    : natural range 0 to G_IMAGE_WORDS - 1 := 0;
  signal finish   : std_logic := '0';
  signal in_ready : std_logic;
  signal q_valid  : std_logic;
  signal push     : std_logic;
  signal pop      : std_logic;
  signal room     : boolean;
begin
  -- a word that finds the array full is dropped (the host ignored osl_rdy)
  u_fifo : entity pocket_cnn.pcnn_fifo
    generic map (G_WIDTH => 8, G_DEPTH => C_DEPTH)
    port map (
      clk => isl_clk, rst => isl_start,
      s_valid => isl_valid, s_ready => in_ready, s_data => islv_data,
      m_valid => q_valid, m_ready => m_axis_tready, m_data => m_axis_tdata);

  push <= isl_valid and in_ready;
  pop  <= q_valid and m_axis_tready;
  room <= fill <= C_DEPTH - G_BURST;

  process (isl_clk)
  begin
    if rising_edge(isl_clk) then
      if isl_start = '1' then
        fill   <= 0;
        words  <= 0;
        finish <= '0';
      else
        if push = '1' and pop = '0' then
          fill <= fill + 1;
        elsif push = '0' and pop = '1' then
          fill <= fill - 1;
        end if;
        if pop = '1' then
          if words = G_IMAGE_WORDS - 1 then
            words <= 0;
          else
            words <= words + 1;
          end if;
        end if;
        if s_axis_tvalid = '1' and isl_get = '1' and s_axis_tlast = '1' then
          finish <= '1';
        end if;
      end if;
    end if;
  end process;

  o_rst         <= isl_start;
  m_axis_tvalid <= q_valid;
  m_axis_tlast  <= '1' when words = G_IMAGE_WORDS - 1 else '0';
  s_axis_tready <= isl_get;
  oslv_data     <= s_axis_tdata;
  osl_valid     <= s_axis_tvalid and isl_get;
  -- ready for one pixel: room for a burst in the array, no burst, start or finished image
  osl_rdy       <= '1' when room and isl_valid = '0' and finish = '0' and isl_start = '0' else '0';
  osl_finish    <= finish;
end architecture rtl;
