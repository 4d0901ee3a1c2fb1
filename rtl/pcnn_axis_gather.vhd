-- pcnn_axis_gather: 8-bit AXI4-Stream words -> whole-pixel beats, and the input framing rule.
-- Collects G_CH consecutive words (channel fastest) into one beat, channel c in
-- bits (8c+7 downto 8c). Accepts one word per clock while the output can take the
-- completed pixel (the last word of a pixel waits only if the previous pixel is
-- still held). An image is N = G_CH * G_PIXELS words; s_last ends it. Framing rule
-- (README "Framing"), so the network always gets whole images and stays in step:
--   s_last on word N: a good image.
--   s_last on an earlier word (short image): the gather completes the image with
--     zero words itself (s_ready low meanwhile); the image is bad.
--   word N without s_last (long image): the image ends there; the words after it are
--     dropped up to and including the next word with s_last; the image is bad.
-- Every image, good or bad, goes on whole (one result each); o_image pulses for one
-- clock when an image's last word is taken, o_bad with it for a bad image.
-- The pixel leaves through a skid slice (pcnn_skid): the gather's enables see a
-- registered ready, not the first PE's ready logic.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

library pocket_cnn;

entity pcnn_axis_gather is
  generic (
    G_CH     : positive := 1;  -- words (channels) per pixel
    G_PIXELS : positive := 1   -- pixels per image (for m_last and the framing rule)
  );
  port (
    -- clock, synchronous reset (active high)
    clk     : in  std_logic;
    rst     : in  std_logic;
    -- input: 8-bit words, channel fastest; s_last on the last word of an image
    s_valid : in  std_logic;
    s_ready : out std_logic;
    s_data  : in  std_logic_vector(7 downto 0);
    s_last  : in  std_logic;
    -- output: one pixel per beat, m_last on the last pixel of an image (by count)
    m_valid : out std_logic;
    m_ready : in  std_logic;
    m_data  : out std_logic_vector(G_CH * 8 - 1 downto 0);
    m_last  : out std_logic;
    -- status: one-clock pulses per image taken (o_bad: it broke the framing rule)
    o_image : out std_logic;
    o_bad   : out std_logic
  );
end entity pcnn_axis_gather;

architecture rtl of pcnn_axis_gather is
  type word_array_t is array (0 to G_CH - 1) of std_logic_vector(7 downto 0);
  signal asm      : word_array_t := (others => (others => '0'));
  signal word_cnt : natural range 0 to G_CH - 1 := 0;
  signal pix_cnt  : natural range 0 to G_PIXELS - 1 := 0;
  signal out_vld  : std_logic := '0';
  signal out_last : std_logic := '0';
  signal out_data : std_logic_vector(G_CH * 8 - 1 downto 0) := (others => '0');
  signal rdy      : std_logic;
  -- framing: completing a short image, dropping the tail of a long one
  signal fill     : std_logic := '0';
  signal drop     : std_logic := '0';
  signal img_p    : std_logic := '0';
  signal bad_p    : std_logic := '0';
  -- the word taken this clock: from s_data, or a zero word while filling
  signal take     : std_logic;
  signal word     : std_logic_vector(7 downto 0);
  -- the skid slice: its registered ready, its input and output words (last & pixel)
  signal k_ready  : std_logic;
  signal k_in     : std_logic_vector(G_CH * 8 downto 0);
  signal k_out    : std_logic_vector(G_CH * 8 downto 0);
begin
  -- a non-final word always fits; the final word needs a free output register
  rdy  <= '1' when word_cnt /= G_CH - 1 or out_vld = '0' or k_ready = '1' else '0';
  take <= rdy when fill = '1' else rdy and s_valid and not drop;
  word <= (others => '0') when fill = '1' else s_data;

  process (clk)
    variable last_word : boolean;
    variable img_end   : boolean;
  begin
    if rising_edge(clk) then
      img_p <= '0';
      bad_p <= '0';
      if k_ready = '1' then
        out_vld <= '0';
      end if;
      if drop = '1' and s_valid = '1' and s_last = '1' then
        drop <= '0';
      end if;
      if take = '1' then
        last_word := word_cnt = G_CH - 1;
        img_end   := last_word and pix_cnt = G_PIXELS - 1;
        -- constant indices only: GHDL 2.0 writes an array assigned at a variable index
        -- as a memory whose write port its Verilog output drops (never written)
        for c in 0 to G_CH - 1 loop
          if word_cnt = c then
            asm(c) <= word;
          end if;
        end loop;
        if last_word then
          for c in 0 to G_CH - 1 loop
            if c = G_CH - 1 then
              out_data(8 * c + 7 downto 8 * c) <= word;
            else
              out_data(8 * c + 7 downto 8 * c) <= asm(c);
            end if;
          end loop;
          out_vld  <= '1';
          word_cnt <= 0;
          if img_end then
            out_last <= '1';
            pix_cnt  <= 0;
          else
            out_last <= '0';
            pix_cnt  <= pix_cnt + 1;
          end if;
        else
          word_cnt <= word_cnt + 1;
        end if;
        if img_end then
          img_p <= '1';
          fill  <= '0';
          if fill = '1' or s_last = '0' then
            bad_p <= '1';
          end if;
          if fill = '0' and s_last = '0' then
            drop <= '1';  -- long image: drop up to its s_last
          end if;
        elsif fill = '0' and s_last = '1' then
          fill <= '1';    -- short image: complete it with zero words
        end if;
      end if;
      if rst = '1' then
        word_cnt <= 0;
        pix_cnt  <= 0;
        out_vld  <= '0';
        out_last <= '0';
        fill     <= '0';
        drop     <= '0';
        img_p    <= '0';
        bad_p    <= '0';
      end if;
    end if;
  end process;

  s_ready <= drop or (rdy and not fill);
  k_in    <= out_last & out_data;

  u_skid : entity pocket_cnn.pcnn_skid
    generic map (G_WIDTH => G_CH * 8 + 1)
    port map (
      clk => clk, rst => rst,
      s_valid => out_vld, s_ready => k_ready, s_data => k_in,
      m_valid => m_valid, m_ready => m_ready, m_data => k_out);

  m_data  <= k_out(G_CH * 8 - 1 downto 0);
  m_last  <= k_out(G_CH * 8);
  o_image <= img_p;
  o_bad   <= bad_p;
end architecture rtl;
