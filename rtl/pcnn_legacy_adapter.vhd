-- pcnn_legacy_adapter: the original pocket-cnn port protocol in front of the stream top.
-- Legacy side (as in the original top): isl_start pulses once before each image and
-- resets the network (it drives o_rst); the host waits for osl_rdy = '1', then sends
-- one pixel (G_BURST words, one per clock, isl_valid = '1'); isl_get = '1' lets the
-- result out; a result word is transferred in every cycle with osl_valid = '1';
-- osl_finish rises after the last result word of the image and stays high (and
-- osl_rdy low) until the next isl_start. A small FIFO (2 * G_BURST words) absorbs a
-- whole burst, so osl_rdy only needs room for one pixel. tlast towards the stream
-- top is generated from the count (G_IMAGE_WORDS words per image).
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

entity pcnn_legacy_adapter is
  generic (
    G_BURST       : positive := 1;  -- words per input pixel (input channels)
    G_IMAGE_WORDS : positive := 1   -- words per input image (C*H*W)
  );
  port (
    isl_clk    : in  std_logic;
    isl_get    : in  std_logic;
    isl_start  : in  std_logic;
    isl_valid  : in  std_logic;
    islv_data  : in  std_logic_vector(7 downto 0);
    oslv_data  : out std_logic_vector(7 downto 0);
    osl_valid  : out std_logic;
    osl_rdy    : out std_logic;
    osl_finish : out std_logic;
    -- towards the stream top
    o_rst         : out std_logic;
    m_axis_tdata  : out std_logic_vector(7 downto 0);
    m_axis_tvalid : out std_logic;
    m_axis_tready : in  std_logic;
    m_axis_tlast  : out std_logic;
    s_axis_tdata  : in  std_logic_vector(7 downto 0);
    s_axis_tvalid : in  std_logic;
    s_axis_tready : out std_logic;
    s_axis_tlast  : in  std_logic
  );
end entity pcnn_legacy_adapter;

architecture rtl of pcnn_legacy_adapter is
  constant C_DEPTH : positive := 2 * G_BURST;
  type word_array_t is array (0 to C_DEPTH - 1) of std_logic_vector(7 downto 0);
  signal fifo   : word_array_t := (others => (others => '0'));
  signal wr_ptr : natural range 0 to C_DEPTH - 1 := 0;
  signal rd_ptr : natural range 0 to C_DEPTH - 1 := 0;
  signal count  : natural range 0 to C_DEPTH := 0;
  signal words  : natural range 0 to G_IMAGE_WORDS - 1 := 0;
  signal finish : std_logic := '0';
  signal pop    : std_logic;
  signal push   : std_logic;
begin
  push <= '1' when isl_valid = '1' and count < C_DEPTH else '0';
  pop  <= '1' when count /= 0 and m_axis_tready = '1' else '0';

  process (isl_clk)
    variable n : natural range 0 to C_DEPTH;
  begin
    if rising_edge(isl_clk) then
      if isl_start = '1' then
        wr_ptr <= 0;
        rd_ptr <= 0;
        count  <= 0;
        words  <= 0;
        finish <= '0';
      else
        n := count;
        if push = '1' then
          fifo(wr_ptr) <= islv_data;
          wr_ptr <= (wr_ptr + 1) mod C_DEPTH;
          n := n + 1;
        end if;
        if pop = '1' then
          rd_ptr <= (rd_ptr + 1) mod C_DEPTH;
          n := n - 1;
          if words = G_IMAGE_WORDS - 1 then
            words <= 0;
          else
            words <= words + 1;
          end if;
        end if;
        count <= n;
        if s_axis_tvalid = '1' and isl_get = '1' and s_axis_tlast = '1' then
          finish <= '1';
        end if;
      end if;
    end if;
  end process;

  o_rst         <= isl_start;
  m_axis_tdata  <= fifo(rd_ptr);
  m_axis_tvalid <= '1' when count /= 0 else '0';
  m_axis_tlast  <= '1' when words = G_IMAGE_WORDS - 1 else '0';
  s_axis_tready <= isl_get;
  oslv_data     <= s_axis_tdata;
  osl_valid     <= s_axis_tvalid and isl_get;
  osl_rdy       <= '1' when count <= C_DEPTH - G_BURST and isl_valid = '0' and finish = '0'
                   and isl_start = '0' else '0';
  osl_finish    <= finish;
end architecture rtl;
